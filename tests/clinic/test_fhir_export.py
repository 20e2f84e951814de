"""FHIR R4 export: every resource validates, the values are the database's, access is the
patient's therapist's only, and ``hepvision export fhir`` writes the same bundle.

Validation, resource by resource, with two libraries: ``fhir.resources`` 8 (its R4B models:
no release of it on pydantic 2 ships R4 4.0.1) and ``fhirclient`` 4 (models generated from
R4 4.0.1, strict: unknown or missing required elements fail), so nothing R4B-only slips in.
"""

from __future__ import annotations

import io
import json
import re
import statistics
from collections import Counter
from pathlib import Path

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhirclient.models.fhirelementfactory import FHIRElementFactory
from sqlalchemy import select

from hepvision.cli.main import main
from hepvision.server.api.main import API_PREFIX
from hepvision.server.fhir import code_systems, codes
from hepvision.server.models import AuditEntry, ExerciseSession, SessionExercise
from tests.clinic.world import seed
from tests.device_world import AppTransport
from tests.test_server import PASSWORD

README = Path(__file__).resolve().parents[2] / "README.md"


def validate_r4(resource: dict) -> None:
    """Raise unless ``resource`` is valid for both R4 model sets."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    FHIRElementFactory.instantiate(resource["resourceType"], resource)  # strict by default


def get_bundle(client, clinic) -> dict:
    r = client.get(f"{API_PREFIX}/patients/{clinic.patient.id}/fhir", headers=clinic.a.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    return r.json()


def by_type(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_every_resource_validates_as_r4(client):
    clinic = seed(client)
    bundle = get_bundle(client, clinic)
    resources = [e["resource"] for e in bundle["entry"]]
    for resource in resources:
        validate_r4(resource)
    Bundle.model_validate(bundle)
    kinds = Counter(r["resourceType"] for r in resources)
    # 1 patient; 2 versions: CarePlans 2, ServiceRequests 1 + 2; one app version; sessions:
    # 4 with an exercise (session, performed, reps, ROM, findings when any, pain) + 1 stopped.
    assert kinds["Patient"] == 1 and kinds["CarePlan"] == 2 and kinds["ServiceRequest"] == 3
    assert kinds["Device"] == 1 and kinds["Observation"] >= 5 * 4
    full_urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(set(full_urls)) == len(full_urls)
    refs = set(re.findall(r'"reference": "(urn:uuid:[0-9a-f-]+)"', json.dumps(bundle)))
    assert refs <= set(full_urls), "every reference resolves inside the bundle"
    for system in code_systems():
        validate_r4(system)
    print(f"validated {len(resources)} resources: {dict(kinds)}")


def _observations_of(bundle: dict, session_id: str) -> list[dict]:
    """The session's Observation and everything under it (hasMember, recursively)."""
    index = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    top = next(o for o in by_type(bundle, "Observation")
               if o.get("identifier", [{}])[0].get("value") == session_id)
    out, todo = [], [top]
    while todo:
        obs = todo.pop()
        out.append(obs)
        todo.extend(index[m["reference"]] for m in obs.get("hasMember", []))
    return out


def _code(obs: dict) -> str:
    return obs["code"]["coding"][-1]["code"]


def test_values_equal_the_database(client):
    clinic = seed(client)
    bundle = get_bundle(client, clinic)
    with client.app.state.sessionmaker() as db:
        sessions = list(db.scalars(select(ExerciseSession)
                                   .where(ExerciseSession.patient_id == clinic.patient.id)))
        summaries = {s.session_id: s for s in db.scalars(select(SessionExercise))}
    assert len(sessions) == 5
    for row in sessions:
        obs = {_code(o): o for o in _observations_of(bundle, str(row.id))}
        assert obs["55411-3"]["valueQuantity"] == {
            "value": pytest.approx(row.duration_s / 60), "unit": "min",
            "system": "http://unitsofmeasure.org", "code": "min"}
        for when, value in (("before", row.pain_before), ("after", row.pain_after)):
            pain = obs.get(f"pain-{when}-session")
            assert (pain["valueInteger"] if pain else None) == value
            assert pain is None or pain["code"]["coding"][0]["code"] == "72514-3"
        summary = summaries.get(row.id)
        if summary is None:  # stopped before the first set
            assert row.stopped_early and "repetitions" not in obs
            continue
        assert obs["repetitions"]["valueInteger"] == summary.reps_done == row.total_reps
        rom = obs["knee_flexion"]
        assert rom["valueQuantity"]["value"] == summary.rom_best_deg
        assert rom["valueQuantity"]["code"] == "deg"
        parts = {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"]
                 for c in rom["component"]}
        assert parts["rom-peak"] == summary.rom_best_deg
        assert parts["rom-peak-median"] == summary.rom_median_deg
        peaks = [r["rom_peak_deg"] for s in row.record["exercises"][0]["sets"]
                 for r in s["repetitions"]]
        assert (max(peaks), statistics.median(peaks)) == (summary.rom_best_deg,
                                                          summary.rom_median_deg)
        assert rom["bodySite"]["coding"][0]["code"] == "72696002"
        found = obs.get("form-findings")
        total = summary.findings_info + summary.findings_caution + summary.findings_stop
        assert (found["valueInteger"] if found else 0) == total


def test_per_side_rom_and_laterality(client):
    clinic = seed(client)
    bundle = get_bundle(client, clinic)
    roms = [o for o in _observations_of(bundle, clinic.records[3]["session_id"])
            if _code(o) == "knee_flexion"]
    sides = {o["bodySite"]["extension"][0]["valueCodeableConcept"]["coding"][0]["code"]:
             o["valueQuantity"]["value"] for o in roms}
    # both (the record's peak 87), left 87 + 2.5, right 87 - 2.5
    assert sides == {codes.BILATERAL.code: 87.0, codes.LEFT.code: 89.5, codes.RIGHT.code: 84.5}


def test_program_maps_versions_and_dosage(client):
    clinic = seed(client)
    bundle = get_bundle(client, clinic)
    plans = {p["identifier"][0]["value"]: p for p in by_type(bundle, "CarePlan")}
    pid = clinic.patient.id
    assert plans[f"{pid}/v1"]["status"] == "revoked" and plans[f"{pid}/v2"]["status"] == "active"
    assert plans[f"{pid}/v2"]["replaces"][0]["reference"] in {
        e["fullUrl"] for e in bundle["entry"] if e["resource"] is plans[f"{pid}/v1"]}
    requests = {r["identifier"][0]["value"]: r for r in by_type(bundle, "ServiceRequest")}
    squat = requests[f"{pid}/v2/1"]
    dose = {e["url"]: e for e in squat["extension"][0]["extension"]}
    assert (dose["sets"]["valueInteger"], dose["repetitions"]["valueInteger"]) == (2, 8)
    assert dose["painStop"]["valueInteger"] == 6
    assert squat["code"]["coding"][0]["code"] == "229065009"
    assert squat["orderDetail"][0]["coding"][0]["code"] == "squat"
    assert squat["occurrenceTiming"]["repeat"]["dayOfWeek"] == ["mon", "wed", "fri"]
    assert "From day 7: 2 sets x 10 reps" in squat["patientInstruction"]
    shoulder = requests[f"{pid}/v2/2"]
    assert shoulder["occurrenceTiming"]["repeat"]["frequency"] == 2
    patient = by_type(bundle, "Patient")[0]
    assert patient["name"] == [{"text": "Ada Lovelace"}]
    assert patient["identifier"][0]["value"] == "MRN-0042"


def test_ids_are_stable_between_exports(client):
    clinic = seed(client)
    first, second = get_bundle(client, clinic), get_bundle(client, clinic)
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in second["entry"]]


def test_only_the_patients_therapist_may_export(client):
    clinic = seed(client)
    url = f"{API_PREFIX}/patients/{clinic.patient.id}/fhir"
    assert client.get(url, headers=clinic.b.headers).status_code == 404
    assert client.get(url, headers=clinic.patient.headers).status_code == 403
    assert client.get(url).status_code == 401
    get_bundle(client, clinic)
    with client.app.state.sessionmaker() as db:
        exports = list(db.scalars(select(AuditEntry).where(AuditEntry.action == "export")))
    assert [(e.actor_id, e.resource, e.patient_id) for e in exports] == [
        (clinic.a.id, "fhir_bundle", clinic.patient.id)]


def test_cli_export_fhir(client, monkeypatch, tmp_path, capsys):
    clinic = seed(client)
    monkeypatch.setattr("hepvision.upload.transport.HttpxTransport",
                        lambda **_: AppTransport(client.app))
    out = tmp_path / "bundle.json"
    token = clinic.a.headers["Authorization"].removeprefix("Bearer ")
    argv = ["export", "fhir", "--patient", str(clinic.patient.id), "--out", str(out),
            "--server", "https://clinic.example"]
    assert main([*argv, "--token", token]) == 0
    written = json.loads(out.read_text())
    assert [e["fullUrl"] for e in written["entry"]] == [
        e["fullUrl"] for e in get_bundle(client, clinic)["entry"]]
    assert f"FHIR resources: {len(written['entry'])}" in capsys.readouterr().out

    monkeypatch.setenv("HEPVISION_TOKEN", clinic.b.headers["Authorization"].split()[1])
    assert main(argv) == 1
    assert "only the patient's own therapist" in capsys.readouterr().err
    monkeypatch.delenv("HEPVISION_TOKEN")
    assert main(argv) == 1
    assert "no credentials" in capsys.readouterr().err

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main([*argv, "--email", "a@clinic.example", "--password-stdin"]) == 0
    with client.app.state.sessionmaker() as db:
        actions = [e.action for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-3:] == ["login", "export", "logout"]


def test_readme_documents_the_codes():
    section = README.read_text().split("## Clinic records", 1)[1].split("\n## ", 1)[0]
    for system in (codes.ROM_SYSTEM, codes.HEPVISION_SYSTEM, codes.EXERCISE_SYSTEM):
        assert system in section
    for code in [*codes.LOCAL_CODES, "knee_flexion", "73985-4", "55411-3", "72514-3",
                 "229065009"]:
        assert f"`{code}`" in section, code
