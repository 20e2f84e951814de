"""A seeded clinic for the clinic-record tests (FHIR export, data export, erasure, calendar):
therapist A with a patient who has two prescription versions and sessions on several days (one
with per-side ROM, one stopped before the first set), therapist B with a patient of their own.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from hepvision.server.api.main import API_PREFIX
from tests.support.session_records import example_session_record
from tests.test_server import Patient, Therapist, make_patient, make_therapist

TEMPLATES = {"squat", "bridge", "shoulder_abduction", "heel_slide"}
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Clinic:
    a: Therapist
    b: Therapist
    patient: Patient
    other: Patient  # therapist B's
    records: list[dict]


PROGRAM_V1 = {"exercises": [{"exercise_id": "squat", "sets": 2, "reps": 5}]}
PROGRAM_V2 = {
    "exercises": [
        {"exercise_id": "squat", "sets": 2, "reps": 8, "days_per_week": 3, "side": "both",
         "progression": [{"after_days": 7, "reps": 10}], "overrides": {"pain_stop_nrs": 6}},
        {"exercise_id": "shoulder_abduction", "sets": 3, "reps": 10, "hold_s": 2,
         "rest_s": 45, "sessions_per_day": 2, "side": "left"}],
    "precautions": ["stop if sharp pain"], "notes": "after ACL repair"}


def _with_sides(record: dict) -> dict:
    """Per-side ROM (issue 11 records): the left knee reads 5 deg more than the right."""
    out = copy.deepcopy(record)
    for s in out["exercises"][0]["sets"]:
        for rep in s["repetitions"]:
            peak = rep["rom_peak_deg"]
            rep["sides"] = [
                {"side": "left", "start_deg": 4.0, "peak_deg": peak + 2.5,
                 "range_deg": peak - 1.5, "moved": True, "source": "world"},
                {"side": "right", "start_deg": 6.0, "peak_deg": peak - 2.5,
                 "range_deg": peak - 8.5, "moved": True, "source": "world"}]
    return out


def seed(client: TestClient) -> Clinic:
    a = make_therapist(client, "a@clinic.example")
    b = make_therapist(client, "b@clinic.example")
    patient = make_patient(client, a, "Ada Lovelace", external_ref="MRN-0042",
                           timezone="Europe/Berlin")
    other = make_patient(client, b, "Bob")
    for body in (PROGRAM_V1, PROGRAM_V2):
        r = client.post(f"{API_PREFIX}/patients/{patient.id}/prescriptions", json=body,
                        headers=a.headers)
        assert r.status_code == 201, r.text
    records = []
    for day in range(4):
        rec = example_session_record(
            started_at=START + timedelta(days=day), peaks_deg=(80.0 + day, 84.0 + day, 82.0),
            pain_before=2 + day % 2, pain_after=None if day == 2 else 4, findings=day % 3,
            prescription_version=1 if day < 2 else 2)
        records.append(_with_sides(rec) if day == 3 else rec)
    stopped = example_session_record(started_at=START + timedelta(days=4), pain_before=8,
                                     pain_after=None, prescription_version=2)
    stopped.update(exercises=[], stopped_early=True, stop_reason="pain 8/10 before starting")
    records.append(stopped)
    for rec in records:
        r = client.post(f"{API_PREFIX}/patients/{patient.id}/sessions", json=rec,
                        headers=patient.headers)
        assert r.status_code == 201, r.text
    r = client.post(f"{API_PREFIX}/patients/{other.id}/sessions",
                    json=example_session_record(), headers=other.headers)
    assert r.status_code == 201, r.text
    return Clinic(a, b, patient, other, records)
