"""Issue 15: login defence (limits, backoff, lockout and unlock, audited), password changes, the
therapist commands, and backup -> wipe -> restore reproducing every row of every table, on
SQLite and (with HEPVISION_TEST_POSTGRES_URL) PostgreSQL."""

from __future__ import annotations

import io
import time
from datetime import date, timedelta
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from hepvision.cli.main import main
from hepvision.server.app import create_app
from hepvision.server.core.config import Settings
from hepvision.server.data import lockout
from hepvision.server.models import AuditEntry, Base
from hepvision.server.web.demo_data import history
from tests.support.databases import BACKENDS, fresh_database
from tests.support.fuzz_world import PASSWORD, build_world

API = "/api/v1"
SECRET = "admin-test-secret-0123456789abc"


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    yield from fresh_database(request.param, tmp_path, "hv_admin")


@pytest.fixture
def app(database_url):
    app = create_app(Settings(environment="development", database_url=database_url,
                              secret_key=SECRET, argon2_time_cost=1, argon2_memory_kib=8))
    yield app
    app.state.engine.dispose()


@pytest.fixture
def quick_backoff(monkeypatch):
    monkeypatch.setattr(lockout, "ACCOUNT_BASE_DELAY_S", 0.01)
    monkeypatch.setattr(lockout, "ADDRESS_BASE_DELAY_S", 0.01)


def _login(client: TestClient, email: str, password: str):
    return client.post(f"{API}/auth/login", json={"email": email, "password": password})


def _until_locked(client: TestClient, email: str) -> list[int]:
    codes = []
    for _ in range(200):
        r = _login(client, email, "wrong password!")
        codes.append(r.status_code)
        if "locked" in r.text:
            return codes
        if r.status_code == 429:
            assert int(r.headers["retry-after"]) >= 1
            time.sleep(0.02)
    raise AssertionError(f"never locked: {codes}")


def test_repeated_failures_back_off_lock_and_a_colleague_unlocks(app, quick_backoff):
    world = build_world(app, "owner@clinic.example")
    colleague = build_world(app, "colleague@clinic.example")
    client = TestClient(app)
    codes = _until_locked(client, "owner@clinic.example")
    assert 429 in codes and codes.count(401) >= lockout.LOCK_AFTER
    r = _login(client, "owner@clinic.example", PASSWORD)  # the right password: still refused
    assert r.status_code in (401, 429) and "access_token" not in r.text
    # the old token keeps working; a colleague sees the lock and clears it
    assert client.get(f"{API}/auth/me", headers=world.therapist_headers).status_code == 200
    locked = client.get(f"{API}/therapists/locked", headers=colleague.therapist_headers).json()
    assert [t["email"] for t in locked] == ["owner@clinic.example"]
    assert locked[0]["failed_logins"] >= lockout.LOCK_AFTER
    unlocked = client.post(f"{API}/therapists/{locked[0]['id']}/unlock",
                           headers=colleague.therapist_headers).json()
    assert unlocked["locked_at"] is None and unlocked["failed_logins"] == 0
    app.state.login_limiter = lockout.AddressLimiter()  # this test's address is throttled too
    assert _login(client, "owner@clinic.example", PASSWORD).status_code == 200
    with app.state.sessionmaker() as db:
        actions = [a for (a,) in db.execute(select(AuditEntry.action).where(
            AuditEntry.resource == "therapist"))]
    assert {"login_failed", "lock", "login_refused_locked", "unlock"} <= set(actions)


def test_address_limit_answers_429_without_hashing(app, monkeypatch):
    build_world(app, "a@clinic.example")
    client = TestClient(app)
    for _ in range(lockout.ADDRESS_FREE_FAILURES):
        assert _login(client, "nobody@clinic.example", "x").status_code == 401
    calls = []
    monkeypatch.setattr(app.state.security, "verify_password",
                        lambda *a: calls.append(a) or False)
    r = _login(client, "nobody@clinic.example", "x")
    assert r.status_code == 429 and r.headers["retry-after"] == "1" and calls == []


def test_change_password_signs_out_other_sessions(app):
    world = build_world(app, "pw@clinic.example")
    client = TestClient(app)
    other = _login(client, "pw@clinic.example", PASSWORD).json()["access_token"]
    url = f"{API}/auth/password"
    assert client.post(url, headers=world.therapist_headers, json={
        "current_password": "not it", "new_password": "another long one"}).status_code == 403
    assert client.post(url, headers=world.therapist_headers, json={
        "current_password": PASSWORD, "new_password": "another long one"}).status_code == 204
    assert client.get(f"{API}/auth/me", headers={
        "Authorization": f"Bearer {other}"}).status_code == 401
    assert client.get(f"{API}/auth/me", headers=world.therapist_headers).status_code == 200
    assert _login(client, "pw@clinic.example", "another long one").status_code == 200


def test_therapist_commands(database_url, monkeypatch, capsys):
    monkeypatch.setenv("HEPVISION_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("HEPVISION_ARGON2_MEMORY_KIB", "8")
    db = ["--database-url", database_url]
    monkeypatch.setattr("sys.stdin", io.StringIO("a good password\n"))
    assert main(["therapist", "create", "notanemail", "--password-stdin", *db]) == 1
    assert "not an email address" in capsys.readouterr().err
    assert main(["therapist", "create", "t@clinic.example", "--password-stdin", *db]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a new password\n"))
    assert main(["therapist", "reset-password", "t@clinic.example", "--password-stdin",
                 *db]) == 0
    assert main(["therapist", "unlock", "t@clinic.example", *db]) == 0
    assert main(["therapist", "list", *db]) == 0
    out = capsys.readouterr().out
    assert "t@clinic.example" in out and "notanemail" not in out
    assert main(["therapist", "reset-password", "x@clinic.example", "--password-stdin",
                 *db]) == 1


def _snapshot(url: str) -> dict[str, list[tuple]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {t.name: [tuple(r) for r in conn.execute(
                select(t).order_by(*(t.primary_key.columns or t.columns)))]
                for t in Base.metadata.sorted_tables}
    finally:
        engine.dispose()


def _wipe(url: str) -> None:
    engine = create_engine(url)
    try:
        Base.metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE alembic_version"))
    finally:
        engine.dispose()


def test_backup_wipe_restore_reproduces_every_row(app, database_url, tmp_path, capsys):
    world = build_world(app, "b@clinic.example")
    client = TestClient(app)
    device = {"Authorization": f"Bearer {world.device_token}"}
    for record in history(start=date.today() - timedelta(days=95), days=90,
                          timezone="Europe/Berlin", seed=3):  # with findings and pain
        assert client.post(f"{API}/patients/{world.patient_id}/sessions", json=record,
                           headers=device).status_code == 201
    for alert in client.get(f"{API}/patients/{world.patient_id}/alerts",
                            headers=world.therapist_headers).json():
        assert client.post(f"{API}/patients/{world.patient_id}/alerts/acknowledge",
                           headers=world.therapist_headers, json={
                               "kind": alert["kind"], "subject": alert["subject"],
                               "note": "called"}).status_code == 201
    assert client.put(f"{API}/patients/{world.patient_id}/alert-settings",
                      headers=world.therapist_headers, json={"missed_days": 4}
                      ).status_code == 200
    client.post(f"{API}/patients/{world.patient_id}/calendar-feed",
                headers=world.therapist_headers)
    for _ in range(3):
        _login(client, "b@clinic.example", "wrong password")
    app.state.engine.dispose()
    before = _snapshot(database_url)
    assert all(before.values()), [t for t, rows in before.items() if not rows]
    file = tmp_path / "clinic.hvbackup.gz"
    assert main(["backup", str(file), "--database-url", database_url]) == 0
    _wipe(database_url)
    assert main(["restore", str(file), "--database-url", database_url]) == 0
    after = _snapshot(database_url)
    assert after == before
    rows = sum(len(v) for v in before.values())
    assert f"{rows} rows" in capsys.readouterr().out
    # a second restore into the now full database is refused; --replace works
    assert main(["restore", str(file), "--database-url", database_url]) == 1
    assert main(["restore", str(file), "--replace", "--database-url", database_url]) == 0
    assert _snapshot(database_url) == before
    # new rows get fresh ids after a restore (PostgreSQL sequences moved on)
    again = create_app(Settings(environment="development", database_url=database_url,
                                secret_key=SECRET, argon2_time_cost=1, argon2_memory_kib=8))
    try:
        r = TestClient(again).post(f"{API}/patients", json={"display_name": "After"},
                                   headers=world.therapist_headers)
        assert r.status_code == 201, r.text
    finally:
        again.state.engine.dispose()


def test_restore_refuses_a_file_that_is_not_a_backup(database_url, tmp_path, capsys):
    bad = tmp_path / "x.gz"
    bad.write_bytes(b"not gzip")
    assert main(["restore", str(bad), "--database-url", database_url]) == 1
    assert main(["restore", str(tmp_path / "missing.gz"), "--database-url",
                 database_url]) == 1
    err = capsys.readouterr().err
    assert "not a hepvision backup" in err and "not found" in err and "Traceback" not in err


def test_a_throttled_dashboard_login_gets_a_page(app):
    from hepvision.server.models import utcnow

    client = TestClient(app)
    for _ in range(lockout.ADDRESS_FREE_FAILURES + 3):  # a wait of 4 s for "testclient"
        app.state.login_limiter.failure("testclient", utcnow())
    r = client.post("/login", data={"email": "nobody@clinic.example", "password": "x"})
    assert r.status_code == 429 and r.headers["content-type"].startswith("text/html")
    assert "Too many" in r.text and "retry-after" in r.headers
