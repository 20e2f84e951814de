"""The therapist server against SQLite and (when HEPVISION_TEST_POSTGRES_URL is set) PostgreSQL.

Every test runs once per database backend. Start a throwaway PostgreSQL with
``eval "$(bash .ci/postgres.sh)"``.
"""

from __future__ import annotations

import copy
import io
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text, update

from hepvision.cli.main import main
from hepvision.server.api.main import API_PREFIX, PUBLIC_PATHS
from hepvision.server.app import create_app
from hepvision.server.data.lockout import AddressLimiter
from hepvision.server.core.config import Settings, load_settings
from hepvision.server.data import accounts
from hepvision.server.errors import ConfigError
from hepvision.server.models import (
    AuditEntry,
    AuthToken,
    Base,
    EnrolmentCode,
    ExerciseSession,
    SessionExercise,
    TransmissionDay,
)
from tests.support.databases import BACKENDS, fresh_database
from tests.support.session_records import example_session_record

SECRET = "test-secret-key-0123456789abcdef"
TEMPLATES = {"squat", "bridge", "shoulder_abduction", "heel_slide"}
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A fresh, empty database for this test module on each backend."""
    yield from fresh_database(request.param, tmp_path_factory.mktemp("db"), "hv_test")


def test_settings(database_url: str, **overrides) -> Settings:
    return Settings(environment="development", database_url=database_url, secret_key=SECRET,
                    argon2_time_cost=1, argon2_memory_kib=8, **overrides)


test_settings.__test__ = False  # a helper, not a test


@pytest.fixture(scope="module")
def app(database_url):
    app = create_app(test_settings(database_url), template_ids=lambda: TEMPLATES)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def client(app):
    """A client on an emptied database."""
    with app.state.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    app.state.login_limiter = AddressLimiter()  # failed logins of earlier tests forgotten
    return TestClient(app)


@dataclass
class Therapist:
    id: int
    email: str
    headers: dict[str, str]


@dataclass
class Patient:
    id: int
    therapist: Therapist
    headers: dict[str, str]  # the patient's device


def make_therapist(client: TestClient, email: str) -> Therapist:
    app = client.app
    with app.state.sessionmaker() as db:
        t = accounts.create_therapist(db, app.state.security, email=email, password=PASSWORD)
    r = client.post(f"{API_PREFIX}/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return Therapist(t.id, email, {"Authorization": f"Bearer {r.json()['access_token']}"})


def make_patient(client: TestClient, therapist: Therapist, name: str = "Pat",
                 **fields) -> Patient:
    r = client.post(f"{API_PREFIX}/patients", json={"display_name": name, **fields},
                    headers=therapist.headers)
    assert r.status_code == 201, r.text
    code = r.json()["enrolment"]["code"]
    e = client.post(f"{API_PREFIX}/devices/enrol", json={"code": code, "device_label": "phone"})
    assert e.status_code == 201, e.text
    return Patient(r.json()["id"], therapist,
                   {"Authorization": f"Bearer {e.json()['device_token']}"})


def prescribe(client: TestClient, patient: Patient, **exercise) -> dict:
    body = {"exercises": [{"exercise_id": "squat", "sets": 2, "reps": 5, **exercise}]}
    r = client.post(f"{API_PREFIX}/patients/{patient.id}/prescriptions", json=body,
                    headers=patient.therapist.headers)
    assert r.status_code == 201, r.text
    return r.json()


def upload(client: TestClient, patient: Patient, record: dict):
    return client.post(f"{API_PREFIX}/patients/{patient.id}/sessions", json=record,
                       headers=patient.headers)


def count(client: TestClient, model) -> int:
    with client.app.state.sessionmaker() as db:
        return db.scalar(select(func.count()).select_from(model))


# ---- basics --------------------------------------------------------------------------------

def test_health_and_openapi(client):
    r = client.get(f"{API_PREFIX}/health")
    assert r.status_code == 200 and r.json()["database"] == "ok"
    spec = client.get("/openapi.json").json()
    assert all(p.startswith(API_PREFIX) for p in spec["paths"])
    assert f"{API_PREFIX}/patients/{{patient_id}}/rom-trend" in spec["paths"]
    assert "SessionRecord" in spec["components"]["schemas"]


def test_migrations_match_the_models(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.state.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_settings_refuse_default_secret_outside_development(monkeypatch, tmp_path):
    monkeypatch.setenv("HEPVISION_HOME", str(tmp_path))
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings(environment="production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings(environment="production", secret_key="short")
    ok = load_settings(environment="production", secret_key=SECRET)
    assert ok.database_url == f"sqlite:///{tmp_path / 'server' / 'hepvision.db'}"
    env = tmp_path / "server.env"
    env.write_text("HEPVISION_ENVIRONMENT=production\nHEPVISION_SECRET_KEY=changethis\n")
    with pytest.raises(ConfigError):
        load_settings(env_file=env)


# ---- accounts ------------------------------------------------------------------------------

def test_login_logout_and_me(client):
    t = make_therapist(client, "Ada@Clinic.example")
    me = client.get(f"{API_PREFIX}/auth/me", headers=t.headers).json()
    assert me["kind"] == "therapist" and me["therapist"]["email"] == "ada@clinic.example"
    bad = client.post(f"{API_PREFIX}/auth/login",
                      json={"email": t.email, "password": "wrong password"})
    assert bad.status_code == 401
    assert client.post(f"{API_PREFIX}/auth/logout", headers=t.headers).status_code == 204
    assert client.get(f"{API_PREFIX}/auth/me", headers=t.headers).status_code == 401


def test_expired_token_is_refused(client):
    t = make_therapist(client, "a@clinic.example")
    with client.app.state.sessionmaker() as db:
        db.execute(update(AuthToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        db.commit()
    assert client.get(f"{API_PREFIX}/patients", headers=t.headers).status_code == 401


def test_password_is_hashed_with_argon2(client):
    make_therapist(client, "a@clinic.example")
    with client.app.state.sessionmaker() as db:
        stored = db.scalar(text("SELECT password_hash FROM therapists"))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_enrolment_code_is_one_time_and_scoped(client):
    t = make_therapist(client, "a@clinic.example")
    r = client.post(f"{API_PREFIX}/patients", json={"display_name": "P"}, headers=t.headers)
    code = r.json()["enrolment"]["code"]
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    first = client.post(f"{API_PREFIX}/devices/enrol", json={"code": code.lower()})
    assert first.status_code == 201 and first.json()["patient_id"] == r.json()["id"]
    assert first.json()["monitoring_start"] is not None
    again = client.post(f"{API_PREFIX}/devices/enrol", json={"code": code})
    assert again.status_code == 401
    device = {"Authorization": f"Bearer {first.json()['device_token']}"}
    me = client.get(f"{API_PREFIX}/auth/me", headers=device).json()
    assert me == {"kind": "device", "therapist": None, "patient_id": r.json()["id"]}
    with client.app.state.sessionmaker() as db:
        digests = list(db.scalars(select(EnrolmentCode.code_digest)))
    assert code not in digests and code.replace("-", "") not in digests


def test_new_code_invalidates_old_and_expired_code_fails(client):
    t = make_therapist(client, "a@clinic.example")
    r = client.post(f"{API_PREFIX}/patients", json={"display_name": "P"}, headers=t.headers)
    pid, old = r.json()["id"], r.json()["enrolment"]["code"]
    new = client.post(f"{API_PREFIX}/patients/{pid}/enrolment-code", headers=t.headers)
    assert new.status_code == 201
    assert client.post(f"{API_PREFIX}/devices/enrol", json={"code": old}).status_code == 401
    with client.app.state.sessionmaker() as db:
        db.execute(update(EnrolmentCode).where(EnrolmentCode.used_at.is_(None))
                   .values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
        db.commit()
    code = new.json()["code"]
    assert client.post(f"{API_PREFIX}/devices/enrol", json={"code": code}).status_code == 401


def test_revoked_device_is_refused(client):
    t = make_therapist(client, "a@clinic.example")
    p = make_patient(client, t)
    r = client.post(f"{API_PREFIX}/patients/{p.id}/devices/revoke", headers=t.headers)
    assert r.json() == {"revoked": 1}
    assert upload(client, p, example_session_record()).status_code == 401


# ---- prescriptions -------------------------------------------------------------------------

def test_prescriptions_are_versioned(client):
    t = make_therapist(client, "a@clinic.example")
    p = make_patient(client, t)
    v1 = prescribe(client, p, reps=5, precautions=["stop if sharp pain"],
                   overrides={"target_rom_deg": 90, "max_rom_deg": 110},
                   progression=[{"after_days": 7, "reps": 8}])
    v2 = prescribe(client, p, reps=8)
    assert (v1["version"], v2["version"]) == (1, 2)
    base = f"{API_PREFIX}/patients/{p.id}/prescriptions"
    history = client.get(base, headers=t.headers).json()
    assert [h["version"] for h in history] == [1, 2]
    assert client.get(f"{base}/1", headers=t.headers).json()["exercises"][0][
        "overrides"]["max_rom_deg"] == 110
    current = client.get(f"{base}/current", headers=p.headers)
    assert current.status_code == 200 and current.json()["version"] == 2
    assert client.get(f"{base}/9", headers=t.headers).status_code == 404


def test_prescription_validation(client):
    t = make_therapist(client, "a@clinic.example")
    p = make_patient(client, t)
    url = f"{API_PREFIX}/patients/{p.id}/prescriptions"
    unknown = client.post(url, json={"exercises": [{"exercise_id": "moonwalk", "sets": 1,
                                                    "reps": 1}]}, headers=t.headers)
    assert unknown.status_code == 422 and "moonwalk" in unknown.text
    extra = client.post(url, json={"exercises": [{"exercise_id": "squat", "sets": 1, "reps": 1,
                                                  "colour": "red"}]}, headers=t.headers)
    assert extra.status_code == 422
    assert client.get(f"{url}/current", headers=p.headers).status_code == 404


# ---- session ingest ------------------------------------------------------------------------

def test_upload_is_idempotent(client):
    t = make_therapist(client, "a@clinic.example")
    p = make_patient(client, t)
    prescribe(client, p)
    record = example_session_record(prescription_version=1)
    first = upload(client, p, record)
    assert first.status_code == 201 and first.json()["created"] is True
    for _ in range(3):
        again = upload(client, p, record)
        assert again.status_code == 200 and again.json()["created"] is False
    assert count(client, ExerciseSession) == 1
    assert count(client, SessionExercise) == 1
    assert count(client, TransmissionDay) == 1
    stored = client.get(f"{API_PREFIX}/patients/{p.id}/sessions/{record['session_id']}",
                        headers=t.headers)
    assert stored.status_code == 200 and stored.json()["exercises"][0]["sets"][0]["reps"] == 5


def test_a_retry_of_a_record_stored_before_a_schema_addition_is_not_a_conflict(client):
    # A device queued this session before the wire schema gained optional fields; the server
    # stored it (full dump, old digest). The retry after the upgrade parses with the new
    # defaults: the same session, so it is answered as already stored.
    t = make_therapist(client, "a@clinic.example")
    p = make_patient(client, t)
    record = example_session_record()
    assert upload(client, p, record).status_code == 201
    with client.app.state.sessionmaker() as db:
        row = db.get(ExerciseSession, uuid.UUID(record["session_id"]))
        old = copy.deepcopy(row.record)
        for exercise in old["exercises"]:
            exercise.pop("count_check", None)
            for s in exercise["sets"]:
                s.pop("count_check", None)
                for rep in s["repetitions"]:
                    for key in ("sides", "source", "confidence", "counted_by"):
                        rep.pop(key, None)
        row.record = old
        row.record_digest = "0" * 64  # what the older server computed
        db.commit()
    again = upload(client, p, record)
    assert again.status_code == 200 and again.json()["created"] is False
    changed = copy.deepcopy(record)
    changed["pain_after"] = 9
    assert upload(client, p, changed).status_code == 409
    assert count(client, ExerciseSession) == 1


def test_same_id_with_other_content_is_a_conflict(client):
    t = make_therapist(client, "a@clinic.example")
    p = make_patient(client, t)
    record = example_session_record()
    assert upload(client, p, record).status_code == 201
    changed = copy.deepcopy(record)
    changed["pain_after"] = 9
    r = upload(client, p, changed)
    assert r.status_code == 409
    other = make_patient(client, t, "Other")
    assert upload(client, other, record).status_code == 409
    assert count(client, ExerciseSession) == 1


@pytest.mark.parametrize("mutate", [
    lambda r: r.update(unknown_field=True),
    lambda r: r.update(pain_before=12),
    lambda r: r["exercises"][0]["sets"][0]["repetitions"][0].update(start_ms=-5),
    lambda r: r.update(prescription_version=7),  # schema-valid but no such version
    lambda r: r.update(ended_at="2026-03-01T09:00:00+00:00"),
])
def test_invalid_record_is_rejected_and_nothing_written(client, mutate):
    t = make_therapist(client, "a@clinic.example")
    p = make_patient(client, t)
    record = example_session_record()
    mutate(record)
    r = upload(client, p, record)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]
    for model in (ExerciseSession, SessionExercise, TransmissionDay):
        assert count(client, model) == 0


def test_oversized_body_is_refused(client):
    t = make_therapist(client, "a@clinic.example")
    p = make_patient(client, t)
    limit = client.app.state.settings.max_session_bytes
    r = client.post(f"{API_PREFIX}/patients/{p.id}/sessions", content=b"{" + b" " * limit,
                    headers={**p.headers, "Content-Type": "application/json"})
    assert r.status_code == 413
    r = client.post(f"{API_PREFIX}/patients/{p.id}/sessions",
                    content=iter([b"{", b" " * limit]),
                    headers={**p.headers, "Content-Type": "application/json"})
    assert r.status_code == 413
    assert count(client, ExerciseSession) == 0


# ---- what the therapist asks ----------------------------------------------------------------

def _seed_history(client, p: Patient, today: date) -> list[dict]:
    """Sessions on 10 days: ROM around 95 deg a week ago, around 80 deg this week."""
    records = []
    for back in range(10):
        day = today - timedelta(days=back)
        peaks = (80.0, 78.0, 82.0) if back < 7 else (95.0, 96.0, 94.0)
        rec = example_session_record(
            started_at=datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
            peaks_deg=peaks, pain_before=2, pain_after=8 if back == 1 else 3,
            findings=back % 3, prescription_version=1)
        assert upload(client, p, rec).status_code == 201
        records.append(rec)
    return records


def test_reports(client):
    t = make_therapist(client, "a@clinic.example")
    p = make_patient(client, t, timezone="Europe/Berlin")
    prescribe(client, p, sets=2, reps=3, days_per_week=7)
    with client.app.state.sessionmaker() as db:  # the program started three weeks ago
        db.execute(text("UPDATE prescriptions SET created_at = :t"),
                   {"t": datetime.now(UTC) - timedelta(days=21)})
        db.execute(text("UPDATE patients SET monitoring_start = :d"),
                   {"d": date.today() - timedelta(days=20)})
        db.commit()
    today = date.today()
    records = _seed_history(client, p, today)
    base = f"{API_PREFIX}/patients/{p.id}"
    h = t.headers

    trend = client.get(f"{base}/rom-trend", params={"exercise_id": "squat",
                                                    "angle_name": "knee_flexion"},
                       headers=h).json()
    assert len(trend) == 10 and trend[0]["started_at"] < trend[-1]["started_at"]
    assert (trend[-1]["rom_best_deg"], trend[-1]["rom_median_deg"]) == (82.0, 80.0)
    assert (trend[0]["rom_best_deg"], trend[0]["rom_median_deg"]) == (96.0, 95.0)

    daily = client.get(f"{base}/adherence", params={
        "period": "day", "start": str(today - timedelta(days=11)), "end": str(today)},
        headers=h).json()
    by_day = {row["period_start"]: row for row in daily}
    assert by_day[str(today)]["reps_done"] == 6 and by_day[str(today)]["reps_prescribed"] == 6
    assert by_day[str(today - timedelta(days=11))]["sessions_done"] == 0
    assert by_day[str(today - timedelta(days=11))]["adherence_pct"] == 0.0
    weekly = client.get(f"{base}/adherence", params={"period": "week"}, headers=h).json()
    assert sum(r["sessions_done"] for r in weekly) == 10
    assert all(date.fromisoformat(r["period_start"]).weekday() == 0 for r in weekly)

    pain = client.get(f"{base}/pain-trend", headers=h).json()
    assert len(pain) == 10 and max(x["pain_after"] for x in pain) == 8

    findings = client.get(f"{base}/findings", headers=h).json()
    assert [f["caution"] for f in findings] == [back % 3 for back in reversed(range(10))]
    assert findings[-2]["by_rule"] == {"knee_valgus": 1}

    alerts = client.get(f"{base}/alerts", params={"as_of": str(today)}, headers=h).json()
    kinds = sorted(a["kind"] for a in alerts)
    assert kinds == ["pain", "rom_drop"]
    drop = next(a for a in alerts if a["kind"] == "rom_drop")
    assert drop["value"] == pytest.approx(14.0) and drop["exercise_id"] == "squat"

    rtm = client.get(f"{base}/rtm", params={"as_of": str(today)}, headers=h).json()
    assert len(rtm["days"]) == 10 and rtm["periods"][0]["days_with_data"] == 10
    assert rtm["periods"][0]["band"] == "2-15"

    csv_r = client.get(f"{base}/export.csv", headers=h)
    assert csv_r.headers["content-type"].startswith("text/csv")
    lines = csv_r.text.strip().splitlines()
    assert lines[0].startswith("session_id,started_at,day,exercise_id")
    assert len(lines) == 11 and records[0]["session_id"] in csv_r.text

    sessions = client.get(f"{base}/sessions", headers=h).json()
    assert len(sessions) == 10 and sessions[0]["exercises"] == ["squat"]


def test_rtm_day_is_the_patient_local_day(client):
    t = make_therapist(client, "a@clinic.example")
    p = make_patient(client, t, timezone="America/Los_Angeles")
    # 03:00 UTC on 3 March is the evening of 2 March in Los Angeles.
    rec = example_session_record(started_at=datetime(2026, 3, 3, 3, 0, tzinfo=UTC))
    assert upload(client, p, rec).status_code == 201
    rtm = client.get(f"{API_PREFIX}/patients/{p.id}/rtm", headers=t.headers).json()
    assert rtm["days"] == ["2026-03-02"]


def test_reads_and_changes_are_audited(client):
    t = make_therapist(client, "a@clinic.example")
    p = make_patient(client, t)
    assert upload(client, p, example_session_record()).status_code == 201
    client.get(f"{API_PREFIX}/patients/{p.id}/rom-trend", headers=t.headers)
    log = client.get(f"{API_PREFIX}/audit", headers=t.headers).json()
    seen = {(e["actor_kind"], e["action"], e["resource"]) for e in log}
    assert {("therapist", "read", "rom_trend"), ("device", "create", "session"),
            ("therapist", "create", "patient"), ("device", "enrol", "device"),
            ("therapist", "login", "therapist")} <= seen
    other = make_therapist(client, "b@clinic.example")
    theirs = client.get(f"{API_PREFIX}/audit", headers=other.headers).json()
    assert all(e["patient_id"] != p.id for e in theirs)
    assert count(client, AuditEntry) >= 5


# ---- access control: every route, three wrong callers --------------------------------------

@pytest.fixture
def world(client):
    """Therapist A with patient A (and A's device), patient A2 of the same therapist (another
    patient's device), therapist B with patient B; data in place for every route."""
    a = make_therapist(client, "a@clinic.example")
    b = make_therapist(client, "b@clinic.example")
    pa = make_patient(client, a, "A")
    pa2 = make_patient(client, a, "A2")
    pb = make_patient(client, b, "B")
    prescribe(client, pa)
    record = example_session_record(prescription_version=1)
    assert upload(client, pa, record).status_code == 201
    entry = client.post(f"{API_PREFIX}/patients/{pa.id}/rtm/time", headers=a.headers,
                        json={"day": "2026-03-02", "minutes": 20, "live_contact": True})
    assert entry.status_code == 201, entry.text
    return {"a": a, "b": b, "pa": pa, "pa2": pa2, "pb": pb, "session_id": record["session_id"],
            "entry_id": entry.json()["id"]}


# Who may call each route (on patient A's data): "therapist" (A only), "device" (A's device
# only), "both" (A or A's device), "any_token" (not patient data), "public".
ACCESS = {
    ("GET", "/health"): "public",
    ("POST", "/auth/login"): "public",
    ("POST", "/devices/enrol"): "public",
    ("POST", "/auth/logout"): "any_token",
    ("GET", "/auth/me"): "any_token",
    ("GET", "/audit"): "therapist_self",
    # clinic: any therapist of the server (no admin role), never a device (issue 15)
    ("GET", "/therapists/locked"): "clinic",
    ("POST", "/therapists/{therapist_id}/unlock"): "clinic",
    ("POST", "/auth/password"): "clinic",
    ("GET", "/patients"): "therapist_self",
    ("POST", "/patients"): "therapist_self",
    ("GET", "/patients/{patient_id}"): "therapist",
    ("PATCH", "/patients/{patient_id}"): "therapist",
    ("POST", "/patients/{patient_id}/enrolment-code"): "therapist",
    ("POST", "/patients/{patient_id}/devices/revoke"): "therapist",
    ("GET", "/patients/{patient_id}/prescriptions"): "therapist",
    ("POST", "/patients/{patient_id}/prescriptions"): "therapist",
    ("GET", "/patients/{patient_id}/prescriptions/current"): "both",
    ("GET", "/patients/{patient_id}/prescriptions/{version}"): "therapist",
    ("POST", "/patients/{patient_id}/sessions"): "device",
    ("GET", "/patients/{patient_id}/sessions"): "therapist",
    ("GET", "/patients/{patient_id}/sessions/{session_id}"): "therapist",
    ("GET", "/patients/{patient_id}/rom-trend"): "therapist",
    ("GET", "/patients/{patient_id}/adherence"): "therapist",
    ("GET", "/patients/{patient_id}/pain-trend"): "therapist",
    ("GET", "/patients/{patient_id}/findings"): "therapist",
    ("GET", "/patients/{patient_id}/alerts"): "therapist",
    ("GET", "/patients/{patient_id}/rtm"): "therapist",
    ("GET", "/patients/{patient_id}/rtm/time"): "therapist",
    ("POST", "/patients/{patient_id}/rtm/time"): "therapist",
    ("PATCH", "/patients/{patient_id}/rtm/time/{entry_id}"): "therapist",
    ("DELETE", "/patients/{patient_id}/rtm/time/{entry_id}"): "therapist",
    ("GET", "/rtm/month-report.csv"): "therapist_self",
    ("POST", "/patients/{patient_id}/alerts/acknowledge"): "therapist",
    ("GET", "/patients/{patient_id}/alert-settings"): "therapist",
    ("PUT", "/patients/{patient_id}/alert-settings"): "therapist",
    ("POST", "/patients/{patient_id}/progress-report"): "therapist",
    ("GET", "/patients/{patient_id}/export.csv"): "therapist",
    ("GET", "/patients/{patient_id}/fhir"): "therapist",
    ("GET", "/patients/{patient_id}/export"): "both",
    ("DELETE", "/patients/{patient_id}/data"): "therapist",
    ("POST", "/patients/{patient_id}/calendar-feed"): "both",
    ("DELETE", "/patients/{patient_id}/calendar-feed"): "both",
    # also answers a feed token in its URL (tests/clinic/test_patient_data.py)
    ("GET", "/patients/{patient_id}/calendar.ics"): "both",
}


def _routes(app) -> set[tuple[str, str]]:
    spec = app.openapi()
    return {(method.upper(), path.removeprefix(API_PREFIX))
            for path, ops in spec["paths"].items() for method in ops}


def test_every_route_has_an_access_rule(app):
    assert _routes(app) == set(ACCESS), "a route was added or removed: classify it in ACCESS"
    public = {API_PREFIX + p for (_, p), rule in ACCESS.items() if rule == "public"}
    assert public == PUBLIC_PATHS


def _body(method: str, path: str) -> dict | None:
    if path.endswith("/sessions") and method == "POST":
        return example_session_record()
    if path.endswith("/prescriptions") and method == "POST":
        return {"exercises": [{"exercise_id": "squat", "sets": 1, "reps": 1}]}
    if path == "/patients" and method == "POST":
        return {"display_name": "Intruder"}
    if path.endswith("/rtm/time") and method == "POST":
        return {"day": "2026-03-02", "minutes": 12, "live_contact": True}
    if path.endswith("/alerts/acknowledge"):  # the world's patient has missed sessions
        return {"kind": "missed", "note": "phoned; back next week"}
    if path.endswith("/alert-settings"):
        return {"missed_days": 5}
    if path == "/auth/password":
        return {"current_password": PASSWORD, "new_password": "a new long password"}
    if path.endswith("/progress-report"):
        return {"start": "2026-03-01", "end": "2026-03-31", "comment": "steady"}
    if method == "PATCH" and "/rtm/time/" in path:
        return {"minutes": 25}
    if method == "PATCH":
        return {"display_name": "Renamed"}
    return None


@pytest.mark.parametrize("method, path",
                         sorted(k for k, rule in ACCESS.items() if rule != "public"))
def test_wrong_callers_are_refused(client, world, method, path):
    rule = ACCESS[(method, path)]
    url = API_PREFIX + path.format(patient_id=world["pa"].id, version=1,
                                   session_id=world["session_id"], entry_id=world["entry_id"],
                                   therapist_id=world["a"].id)
    body = _body(method, path)

    def call(headers):
        return client.request(method, url, json=body, headers=headers)

    # No token, and a malformed one.
    assert call({}).status_code == 401
    assert call({"Authorization": "Bearer hvt_forged"}).status_code == 401
    if rule == "clinic":
        assert call(world["pa"].headers).status_code == 403
        assert call(world["b"].headers).status_code in (200, 204)
        return
    if rule in ("any_token", "therapist_self"):
        if rule == "therapist_self":  # devices are refused; other therapists see only theirs
            assert call(world["pa"].headers).status_code == 403
            r = call(world["b"].headers)
            assert r.status_code in (200, 201) and "\"A\"" not in r.text
        return
    wrong = {"another therapist": world["b"].headers}
    if rule in ("therapist", "both", "device"):
        wrong["another patient's device"] = world["pa2"].headers
    if rule == "therapist":
        wrong["the patient's own device"] = world["pa"].headers
    if rule == "device":
        wrong["the patient's therapist"] = world["a"].headers
    for who, headers in wrong.items():
        r = call(headers)
        assert r.status_code in (403, 404), f"{who}: {r.status_code} {r.text[:200]}"
    # And the right caller is let in (so the refusals above are about access, not bad input).
    right = world["pa"].headers if rule == "device" else world["a"].headers
    assert call(right).status_code in (200, 201, 204)


# ---- command line --------------------------------------------------------------------------

def test_cli_therapist_and_patient_create(database_url, monkeypatch, capsys, client):
    monkeypatch.setenv("HEPVISION_SECRET_KEY", SECRET)
    monkeypatch.setenv("HEPVISION_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("HEPVISION_ARGON2_MEMORY_KIB", "8")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["therapist", "create", "cli@clinic.example", "--password-stdin",
                 "--database-url", database_url]) == 0
    capsys.readouterr()
    assert main(["patient", "create", "--therapist", "cli@clinic.example", "Pat Smith",
                 "--database-url", database_url]) == 0
    code = capsys.readouterr().out.strip()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    r = client.post(f"{API_PREFIX}/devices/enrol", json={"code": code})
    assert r.status_code == 201

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["therapist", "create", "cli@clinic.example", "--password-stdin",
                 "--database-url", database_url]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("hepvision: error:") and "already exists" in err
    assert len(err.splitlines()) == 1
    assert main(["patient", "create", "--therapist", "nobody@clinic.example", "X",
                 "--database-url", database_url]) == 1
    assert "no therapist" in capsys.readouterr().err
