"""A populated server for the API fuzz test (tests/test_server_fuzz.py): a therapist, a patient
with a prescription, an enrolled device, stored sessions and a time-log entry; and a Hypothesis
strategy of *valid* session records for that patient, so uploads reach the data layer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import strategies as st

from tests.support.session_records import example_session_record

PASSWORD = "correct horse battery"
#: Exercises of the prescription and a rule of each (tests/support: squat and bridge templates).
RULES = {"squat": ["knee_valgus", "trunk_lean", "incomplete_rom", "too_fast",
                   "precaution_knee_flexion_max_0"],
         "bridge": ["precaution_hip_extension_max_0"]}
ANGLES = {"squat": "knee_flexion", "bridge": "hip_extension"}


@dataclass
class FuzzWorld:
    therapist_token: str
    device_token: str
    patient_id: int
    session_ids: list[str]
    entry_id: int

    @property
    def therapist_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.therapist_token}"}

    @property
    def device_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.device_token}"}


def build_world(app: FastAPI, email: str) -> FuzzWorld:
    """A fresh therapist, patient (prescribed squat and bridge), device and three sessions."""
    from hepvision.server.data import accounts

    with app.state.sessionmaker() as db:
        accounts.create_therapist(db, app.state.security, email=email, password=PASSWORD)
    client = TestClient(app)
    api = "/api/v1"
    token = client.post(f"{api}/auth/login", json={"email": email, "password": PASSWORD},
                        headers={"X-Forwarded-For": "fuzz"}).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    created = client.post(f"{api}/patients", json={"display_name": "Fuzz", "timezone":
                                                   "Europe/Berlin"}, headers=auth).json()
    pid = created["id"]
    assert client.post(f"{api}/patients/{pid}/prescriptions", headers=auth, json={
        "exercises": [{"exercise_id": "squat", "sets": 2, "reps": 10},
                      {"exercise_id": "bridge", "sets": 2, "reps": 10}]}).status_code == 201
    device = client.post(f"{api}/devices/enrol", json={
        "code": created["enrolment"]["code"], "device_label": "fuzz"}).json()["device_token"]
    sessions = []
    for hours in (20, 10, 2):
        record = example_session_record(
            started_at=datetime.now(UTC) - timedelta(hours=hours), prescription_version=1)
        r = client.post(f"{api}/patients/{pid}/sessions", json=record,
                        headers={"Authorization": f"Bearer {device}"})
        assert r.status_code == 201, r.text
        sessions.append(record["session_id"])
    entry = client.post(f"{api}/patients/{pid}/rtm/time", headers=auth, json={
        "day": datetime.now(UTC).date().isoformat(), "minutes": 20,
        "live_contact": True}).json()["id"]
    return FuzzWorld(token, device, pid, sessions, entry)


_angle = st.floats(min_value=-30, max_value=170, allow_nan=False)


@st.composite
def valid_records(draw: st.DrawFn) -> dict[str, Any]:
    """A session record the server must accept (201): recent times, prescribed exercises,
    the templates' rule ids with any claimed severity (the server sets its own)."""
    exercise = draw(st.sampled_from(sorted(RULES)))
    started = datetime.now(UTC) - timedelta(minutes=draw(st.integers(5, 60 * 12)))
    sets = []
    for k in range(draw(st.integers(1, 3))):
        n = draw(st.integers(0, 6))
        reps = []
        for i in range(n):
            peak = draw(_angle)
            reps.append({"start_ms": 2000 * i, "peak_ms": 2000 * i + 800,
                         "end_ms": 2000 * i + 1700, "rom_start_deg": 5.0, "rom_peak_deg": peak,
                         "rom_range_deg": peak - 5.0, "side": "both"})
        findings = [{"rule_id": draw(st.sampled_from(RULES[exercise])),
                     "severity": draw(st.sampled_from(["info", "caution", "stop", "warning"])),
                     "time_ms": draw(st.integers(0, 60_000)),
                     "value": draw(st.floats(-1e6, 1e6, allow_nan=False)),
                     "message": draw(st.text(max_size=40).filter(lambda t: "\x00" not in t))}
                    for _ in range(draw(st.integers(0, 4)))]
        sets.append({"set_index": k, "reps": n, "repetitions": reps, "findings": findings,
                     "rest_s": draw(st.none() | st.floats(0, 600))})
    duration = draw(st.floats(1, 3600))
    return {
        "schema_version": "1", "session_id": str(draw(st.uuids())),
        "prescription_version": draw(st.sampled_from([None, 1])),
        "app_version": "0.1.0", "started_at": started.isoformat(),
        "ended_at": (started + timedelta(seconds=duration)).isoformat(),
        "duration_s": duration,
        "pain_before": draw(st.none() | st.integers(0, 10)),
        "pain_after": draw(st.none() | st.integers(0, 10)),
        "stopped_early": draw(st.booleans()), "stop_reason": None,
        "exercises": [{"exercise_id": exercise, "angle_name": ANGLES[exercise],
                       "side": "both", "view": "side", "sets": sets}],
    }


def new_id() -> str:
    return str(uuid.uuid4())
