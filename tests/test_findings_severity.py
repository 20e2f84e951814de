"""Form-finding severities: info, caution, stop from template to report.

Templates judge form with info / caution / stop. A caution finding uploaded by a device is
counted, stored and shown (patient page, findings report, CSV); a legacy ``warning`` upload is
read as caution at the wire boundary. Runs on SQLite and, with HEPVISION_TEST_POSTGRES_URL,
on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from hepvision.server.app import create_app
from hepvision.server.core.config import Settings
from hepvision.server.data import accounts
from hepvision.wire.session import SessionRecord
from tests.support.databases import BACKENDS, fresh_database

API = "/api/v1"
PASSWORD = "correct horse battery"


#: A squat rule of each severity: the server keeps the template's severity for a rule (issue
#: 15), so the claimed one must agree; "precaution_*" are the ROM caps, always stop.
SQUAT_RULE = {"caution": "knee_valgus", "warning": "trunk_lean", "info": "too_fast",
              "stop": "precaution_knee_flexion_max_0"}


def session_record(severities: list[str], *, started_at: datetime | None = None
                   ) -> dict[str, Any]:
    """A squat session of one set of one repetition, with one finding per severity given."""
    start = started_at or datetime.now(UTC) - timedelta(hours=1)
    findings = [{"rule_id": SQUAT_RULE.get(sev, "knee_valgus"), "severity": sev, "time_ms": 800, "rep_index": 0,
                 "value": 12.0, "limit": 10.0, "message": "knees move inward"}
                for sev in severities]
    rep = {"start_ms": 0, "peak_ms": 800, "end_ms": 1700, "rom_peak_deg": 90.0}
    return {
        "session_id": str(uuid.uuid4()), "app_version": "0.1.0",
        "started_at": start.isoformat(), "ended_at": (start + timedelta(minutes=2)).isoformat(),
        "duration_s": 120.0,
        "exercises": [{"exercise_id": "squat", "angle_name": "knee_flexion", "view": "side",
                       "sets": [{"set_index": 0, "reps": 1, "repetitions": [rep],
                                 "findings": findings}]}],
    }


def test_the_wire_reads_legacy_warning_as_caution() -> None:
    from hepvision.vocabulary import Severity

    record = SessionRecord.model_validate(session_record(["warning", "caution", "info", "stop"]))
    got = [f.severity for f in record.exercises[0].sets[0].findings]
    assert got == [Severity.CAUTION, Severity.CAUTION, Severity.INFO, Severity.STOP]
    dumped = record.model_dump(mode="json")["exercises"][0]["sets"][0]["findings"]
    assert [f["severity"] for f in dumped] == ["caution", "caution", "info", "stop"]
    with pytest.raises(ValidationError, match="severity"):
        SessionRecord.model_validate(session_record(["severe"]))


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from fresh_database(request.param, tmp_path_factory.mktemp("db"), "hv_sev")


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_database(request.param, tmp_path, "hv_sev")


@pytest.fixture(scope="module")
def client(database_url: str):
    settings = Settings(environment="development", database_url=database_url,
                        secret_key="severity-test-secret-0123456789", argon2_time_cost=1,
                        argon2_memory_kib=8)
    app = create_app(settings, template_ids=lambda: {"squat"})
    with TestClient(app) as c:
        yield c
    app.state.engine.dispose()


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_a_caution_finding_is_counted_and_shown(client: TestClient) -> None:
    app = client.app
    with app.state.sessionmaker() as db:
        accounts.create_therapist(db, app.state.security, email="sev@example.org",
                                  password=PASSWORD)
    token = client.post(f"{API}/auth/login",
                        json={"email": "sev@example.org", "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    made = client.post(f"{API}/patients", json={"display_name": "Pat"}, headers=headers).json()
    enrol = client.post(f"{API}/devices/enrol", json={"code": made["enrolment"]["code"]}).json()
    device = {"Authorization": f"Bearer {enrol['device_token']}"}
    patient = f"{API}/patients/{made['id']}"
    up = client.post(f"{patient}/sessions", headers=device,
                     json=session_record(["caution", "caution", "stop", "info", "warning"]))
    assert up.status_code == 201, up.text

    counts = client.get(f"{patient}/findings", headers=headers).json()
    assert [(c["info"], c["caution"], c["stop"]) for c in counts] == [(1, 3, 1)]
    assert "warning" not in counts[0]

    rows = list(csv.DictReader(io.StringIO(client.get(f"{patient}/export.csv",
                                                      headers=headers).text)))
    assert [(r["findings_info"], r["findings_caution"], r["findings_stop"]) for r in rows] \
        == [("1", "3", "1")]

    login = _csrf(client.get("/login").text)
    r = client.post("/login", data={"csrf_token": login, "email": "sev@example.org",
                                    "password": PASSWORD, "next": "/patients"})
    assert r.status_code == 200, r.text
    page = client.get(f"/patients/{made['id']}").text
    assert re.search(r'class="sev caution">3 caution<', page), page
    assert "warning</span>" not in page
    session_id = client.get(f"{patient}/sessions", headers=headers).json()[0]["session_id"]
    detail = client.get(f"/patients/{made['id']}/sessions/{session_id}").text
    assert detail.count('<span class="sev caution">caution</span>') == 3


def test_migration_0002_counts_stored_caution_findings_and_renames_warning(
        empty_database_url: str) -> None:
    """A database written by the old server (caution counted nowhere, ``warning`` stored)
    upgrades to caution counts, and a device retrying its old upload is answered as a retry."""
    from hepvision.server.data import sessions
    from hepvision.server.database import make_engine, make_sessionmaker, upgrade_database
    from hepvision.server.models import Patient, SessionExercise

    engine = make_engine(empty_database_url)
    upgrade_database(engine, "0001")
    old = session_record(["warning", "caution", "caution", "info"])
    old["exercises"].append({**old["exercises"][0], "exercise_id": "lunge"})
    old["exercises"][1]["sets"] = [{**old["exercises"][0]["sets"][0],
                                    "findings": old["exercises"][0]["sets"][0]["findings"][1:2]}]
    stored = SessionRecord.model_validate(old).model_dump(mode="json")
    for exercise, raw in zip(stored["exercises"], old["exercises"], strict=True):
        for s, raw_set in zip(exercise["sets"], raw["sets"], strict=True):
            for f, raw_f in zip(s["findings"], raw_set["findings"], strict=True):
                f["severity"] = raw_f["severity"]  # as the old server stored it
    _write_old_rows(engine, stored)

    upgrade_database(engine)
    maker = make_sessionmaker(engine)
    with maker() as db:
        rows = db.query(SessionExercise).order_by(SessionExercise.position).all()
        assert [(r.findings_info, r.findings_caution, r.findings_stop) for r in rows] \
            == [(1, 3, 0), (0, 1, 0)]
        patient = db.get(Patient, 1)
        assert patient is not None
        assert sessions.ingest(db, patient, SessionRecord.model_validate(old)) is False
        record = sessions.get_session(db, 1, uuid.UUID(old["session_id"])).record
        severities = {f["severity"] for e in record["exercises"] for s in e["sets"]
                      for f in s["findings"]}
        assert severities == {"caution", "info"}
    engine.dispose()


def _write_old_rows(engine: Any, record: dict[str, Any]) -> None:
    """Rows as the server before revision 0002 wrote them for ``record``."""
    import hashlib
    import json

    from sqlalchemy import MetaData, insert

    meta = MetaData()
    meta.reflect(engine)
    now = datetime.now(UTC)
    started = datetime.fromisoformat(record["started_at"])
    digest = hashlib.sha256(json.dumps(record, sort_keys=True, separators=(",", ":"))
                            .encode()).hexdigest()
    sid = uuid.UUID(record["session_id"]).hex
    with engine.begin() as conn:
        conn.execute(insert(meta.tables["therapists"]).values(
            id=1, email="old@example.org", full_name="", password_hash="x", is_active=True,
            created_at=now))
        conn.execute(insert(meta.tables["patients"]).values(
            id=1, therapist_id=1, display_name="Pat", timezone="UTC", is_active=True,
            created_at=now))
        conn.execute(insert(meta.tables["sessions"]).values(
            id=sid, patient_id=1, started_at=started, ended_at=started, day=started.date(),
            duration_s=120.0, stopped_early=False, total_reps=2, app_version="0.1.0",
            received_at=now, record_digest=digest, record=record))
        for position, exercise in enumerate(record["exercises"]):
            sev = [f["severity"] for s in exercise["sets"] for f in s["findings"]]
            conn.execute(insert(meta.tables["session_exercises"]).values(
                session_id=sid, patient_id=1, started_at=started, day=started.date(),
                position=position, exercise_id=exercise["exercise_id"],
                angle_name="knee_flexion", view="side", sets_done=1, reps_done=1,
                partial_reps=0, hold_s=0.0, findings_info=sev.count("info"),
                findings_warning=sev.count("warning"), findings_stop=sev.count("stop"),
                findings_by_rule={}))
