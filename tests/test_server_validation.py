"""Validation at the edge (issue 15): each input that once answered 500 or was stored although
implausible now gets a documented 422 (``{"detail": [{"loc", "msg", "type"}]}``), and finding
severities come from the template. SQLite and (with HEPVISION_TEST_POSTGRES_URL) PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from hepvision.server.app import create_app
from hepvision.server.core.config import Settings
from hepvision.server.data import accounts
from tests.support.databases import BACKENDS, fresh_database
from tests.support.session_records import example_session_record

API = "/api/v1"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module", params=BACKENDS)
def app(request, tmp_path_factory):
    databases = fresh_database(request.param, tmp_path_factory.mktemp("v"), "hv_valid")
    url = next(databases)
    app = create_app(Settings(environment="development", database_url=url,
                              secret_key="validation-secret-0123456789abc", argon2_time_cost=1,
                              argon2_memory_kib=8, session_backdate_days=1))
    yield app
    app.state.engine.dispose()
    next(databases, None)  # drops the PostgreSQL database


@pytest.fixture(scope="module")
def world(app):
    with app.state.sessionmaker() as db:
        accounts.create_therapist(db, app.state.security, email="v@example.org",
                                  password=PASSWORD)
    client = TestClient(app)
    token = client.post(f"{API}/auth/login", json={"email": "v@example.org",
                                                   "password": PASSWORD}).json()["access_token"]
    t = {"Authorization": f"Bearer {token}"}
    made = client.post(f"{API}/patients", json={"display_name": "Val"}, headers=t).json()
    assert client.post(f"{API}/patients/{made['id']}/prescriptions", headers=t, json={
        "exercises": [{"exercise_id": "squat", "sets": 2, "reps": 10}]}).status_code == 201
    device = client.post(f"{API}/devices/enrol", json={"code": made["enrolment"]["code"]}
                         ).json()["device_token"]
    return client, t, {"Authorization": f"Bearer {device}"}, made["id"]


def _is_validation_body(r) -> bool:
    body = r.json()
    return r.status_code == 422 and isinstance(body["detail"], list) and all(
        {"loc", "msg", "type"} <= set(e) for e in body["detail"])


def _recent(**kw) -> dict:
    return example_session_record(started_at=datetime.now(UTC) - timedelta(hours=1), **kw)


def test_non_finite_numbers_are_a_422_not_a_500(world):
    client, _, device, pid = world
    for bad in ("NaN", "Infinity", "-Infinity"):
        text = json.dumps(_recent()).replace('"duration_s": 240.0', f'"duration_s": {bad}')
        r = client.post(f"{API}/patients/{pid}/sessions", content=text, headers={
            **device, "Content-Type": "application/json"})
        assert _is_validation_body(r), (bad, r.status_code, r.text)


def test_patch_null_on_a_required_field_is_a_422(world):
    client, t, _, pid = world
    for field in ("display_name", "timezone", "is_active"):
        r = client.patch(f"{API}/patients/{pid}", json={field: None}, headers=t)
        assert _is_validation_body(r), (field, r.text)
    assert client.patch(f"{API}/patients/{pid}", json={"external_ref": None},
                        headers=t).status_code == 200


def test_bounded_pagination_ids_and_days(world):
    client, t, _, pid = world
    for url in (f"{API}/patients/{pid}/sessions?offset=99999999999999999999",
                f"{API}/patients/{pid}/sessions?offset=1000001",
                f"{API}/audit?patient_id=99999999999999",
                f"{API}/patients/{pid}/alerts?as_of=9999-12-31",
                f"{API}/patients/{pid}/rtm?as_of=0001-01-01",
                f"{API}/patients/{pid}/pain-trend?start=9999-01-01",
                f"{API}/rtm/month-report.csv?month=9999-01",
                f"{API}/patients/{pid}/rom-trend?exercise_id=sq%00uat"):
        assert _is_validation_body(client.get(url, headers=t)), url
    r = client.post(f"{API}/patients/{pid}/rtm/time", headers=t, json={
        "day": "9999-01-01", "minutes": 5, "live_contact": False})
    assert _is_validation_body(r)


def test_nul_characters_are_refused(world):
    client, t, device, pid = world
    r = client.post(f"{API}/patients", json={"display_name": "A\x00B"}, headers=t)
    assert _is_validation_body(r)
    r = client.post(f"{API}/auth/login", json={"email": "a\x00@b.org", "password": "x"})
    assert _is_validation_body(r)
    record = _recent()
    record["app_version"] = "1.0\x00"
    assert _is_validation_body(client.post(f"{API}/patients/{pid}/sessions", json=record,
                                           headers=device))


@pytest.mark.parametrize("started_at", [
    datetime(1900, 1, 1, tzinfo=UTC), datetime(2016, 1, 1, tzinfo=UTC),
    datetime.now(UTC) - timedelta(days=3), datetime.now(UTC) + timedelta(days=2),
    datetime.now(UTC) + timedelta(days=3650)])
def test_sessions_outside_the_plausible_window_are_refused(world, started_at):
    client, t, device, pid = world
    r = client.post(f"{API}/patients/{pid}/sessions", headers=device,
                    json=example_session_record(started_at=started_at))
    assert _is_validation_body(r), r.text
    assert "enrolled" in r.text or "future" in r.text


def test_unknown_exercise_and_rule_are_refused(world):
    client, _, device, pid = world
    r = client.post(f"{API}/patients/{pid}/sessions", headers=device,
                    json=_recent(exercise_id="moonwalk"))
    assert _is_validation_body(r) and "moonwalk" in r.text
    record = _recent()
    record["exercises"][0]["sets"][0]["findings"][0]["rule_id"] = "made_up_rule"
    r = client.post(f"{API}/patients/{pid}/sessions", headers=device, json=record)
    assert _is_validation_body(r) and "made_up_rule" in r.text
    # a library exercise that is not prescribed is accepted (the patient did an extra one)
    assert client.post(f"{API}/patients/{pid}/sessions", headers=device,
                       json=_recent(exercise_id="bridge", angle_name="hip_extension",
                                    findings=0)).status_code == 201


def test_severity_is_the_templates_not_the_devices(world):
    client, t, device, pid = world
    record = _recent()
    finding = record["exercises"][0]["sets"][0]["findings"][0]
    finding.update(rule_id="too_fast", severity="stop")  # a tempo rule: info in squat.toml
    r = client.post(f"{API}/patients/{pid}/sessions", headers=device, json=record)
    assert r.status_code == 201, r.text
    stored = client.get(f"{API}/patients/{pid}/sessions/{record['session_id']}",
                        headers=t).json()
    assert stored["exercises"][0]["sets"][0]["findings"][0]["severity"] == "info"
    counts = {c["session_id"]: c for c in client.get(f"{API}/patients/{pid}/findings",
                                                     headers=t).json()}
    assert (counts[record["session_id"]]["stop"], counts[record["session_id"]]["info"]) == (0, 1)
    alerts = client.get(f"{API}/patients/{pid}/alerts", headers=t).json()
    assert not [a for a in alerts if a["kind"] == "stop_finding"]
    # the retry of the same upload is still a retry
    assert client.post(f"{API}/patients/{pid}/sessions", headers=device,
                       json=record).status_code == 200


def test_every_error_status_is_documented(app):
    spec = TestClient(app).get("/openapi.json").json()
    for path, ops in spec["paths"].items():
        if not path.startswith(API):
            continue
        for method, op in ops.items():
            codes = set(op["responses"])
            assert {"401", "403", "404", "409"} <= codes, (method, path, codes)
            if op.get("parameters") or op.get("requestBody"):
                assert "422" in codes, (method, path)
                schema = op["responses"]["422"]["content"]["application/json"]["schema"]
                assert schema["$ref"].endswith("/HTTPValidationError")


def test_fhir_and_export_of_a_patient_without_prescription(world):
    """Found by the fuzz test: the FHIR bundle of a patient with no prescription was a 500."""
    client, t, _, _ = world
    pid = client.post(f"{API}/patients", json={"display_name": "New"}, headers=t).json()["id"]
    r = client.get(f"{API}/patients/{pid}/fhir", headers=t)
    assert r.status_code == 200 and r.json()["resourceType"] == "Bundle"
    assert client.get(f"{API}/patients/{pid}/export", headers=t).status_code == 200
