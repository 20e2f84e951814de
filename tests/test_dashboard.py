"""The therapist dashboard's pages in-process, on SQLite and (HEPVISION_TEST_POSTGRES_URL) PostgreSQL.

Access rules equal the API's, cookies and CSRF behave, the patient list equals the per-patient
reports, the pages show the uploaded numbers, the editor writes versions the device API serves,
and a patient page with a year of daily sessions renders in under a second. The browser walk
is ``test_dashboard_browser.py``.
"""

from __future__ import annotations

import hashlib
import re
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import text, update

from hepvision.server.api.main import API_PREFIX
from hepvision.server.app import create_app
from hepvision.server.data.lockout import AddressLimiter
from hepvision.server.core.config import Settings
from hepvision.server.data import accounts, alerts, dashboard, reports
from hepvision.server.data import rtm as rtm_ledger
from hepvision.server.data.alert_rules import AlertDefaults
from hepvision.server.models import Base, Patient, Prescription
from hepvision.server.web import WEB_DIR
from hepvision.server.web.forms import PERSONAL_FIELDS
from hepvision.server.web.demo_data import KNEE_REHAB, history
from hepvision.server.web.routes import router as web_router
from tests.support.databases import BACKENDS, fresh_database

SECRET = "dashboard-test-secret-0123456789abcdef"
PASSWORD = "correct horse battery"
TEMPLATES = {"squat", "shoulder_abduction", "bridge"}


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(request, tmp_path_factory):
    yield from fresh_database(request.param, tmp_path_factory.mktemp("db"), "hv_dash")


@pytest.fixture(scope="module")
def app(database_url):
    app = create_app(Settings(environment="development", database_url=database_url,
                              secret_key=SECRET, argon2_time_cost=1, argon2_memory_kib=8),
                     template_ids=lambda: TEMPLATES)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def client(app):
    with app.state.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    app.state.login_limiter = AddressLimiter()  # failed logins of earlier tests forgotten
    return TestClient(app)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client: TestClient, email: str) -> str:
    """Create a therapist, log in through the form; returns the session's CSRF token."""
    app = client.app
    with app.state.sessionmaker() as db:
        accounts.create_therapist(db, app.state.security, email=email, password=PASSWORD)
    token = _csrf(client.get("/login").text)
    r = client.post("/login", data={"csrf_token": token, "email": email,
                                    "password": PASSWORD, "next": "/patients"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/patients", r.text
    return _csrf(client.get("/patients").text)


def enrol_patient(client: TestClient, csrf: str, name: str, tz: str = "UTC") -> tuple[int, dict]:
    r = client.post("/patients/new", data={"csrf_token": csrf, "display_name": name,
                                           "timezone": tz})
    assert r.status_code == 200 and r.history[0].status_code == 303, r.text
    code = re.search(r'id="enrolment-code">([^<]+)<', r.text).group(1)
    e = client.post(f"{API_PREFIX}/devices/enrol", json={"code": code})
    assert e.status_code == 201, e.text
    return e.json()["patient_id"], {"Authorization": f"Bearer {e.json()['device_token']}"}


def seed(client: TestClient, patient_id: int, device: dict, *, days: int, seed: int,
         tz: str = "UTC", rx_days_ago: int | None = None) -> list[dict]:
    """Prescription (backdated to the first day) and ``days`` days of uploaded sessions."""
    with client.app.state.sessionmaker() as db:
        patient = db.get(Patient, patient_id)
        therapist = patient.therapist
        from hepvision.server.data import prescriptions
        from hepvision.server.schemas import PrescriptionCreate
        prescriptions.create_prescription(db, therapist, patient, PrescriptionCreate(
            exercises=[{"exercise_id": p.exercise_id, "sets": p.sets, "reps": p.reps}
                       for p in KNEE_REHAB]))
        today = reports.local_today(patient)
        first = today - timedelta(days=days - 1)
        since = rx_days_ago if rx_days_ago is not None else days
        db.execute(update(Prescription).where(Prescription.patient_id == patient_id).values(
            created_at=datetime.now(UTC) - timedelta(days=since)))
        db.execute(update(Patient).where(Patient.id == patient_id).values(monitoring_start=first))
        db.commit()
    records = history(start=first, days=days, timezone=tz, seed=seed)
    for rec in records:
        r = client.post(f"{API_PREFIX}/patients/{patient_id}/sessions", json=rec, headers=device)
        assert r.status_code == 201, r.text
    return records


# ---- access, cookies, CSRF -----------------------------------------------------------------

def _page_paths() -> list[tuple[str, str]]:
    """Every dashboard route (the API's are under /api/v1 and tested in test_server.py)."""
    return sorted((m, r.path) for r in web_router.routes if isinstance(r, APIRoute)
                  for m in r.methods if m != "HEAD")


def test_every_page_needs_a_session_and_owns_its_patient(client):
    csrf_a = login(client, "a@clinic.example")
    pid, device = enrol_patient(client, csrf_a, "Anna")
    rec = history(start=datetime.now(UTC).date(), days=1, seed=1, skip_fraction=0.0)[0]
    assert client.post(f"{API_PREFIX}/patients/{pid}/sessions", json=rec,
                       headers=device).status_code == 201
    paths = _page_paths()
    assert ("GET", "/patients/{patient_id}") in paths and ("POST", "/logout") in paths
    fill = {"patient_id": pid, "session_id": rec["session_id"]}

    anonymous = TestClient(client.app)
    for method, path in paths:
        if path in ("/login", "/"):
            continue
        r = anonymous.request(method, path.format(**fill), follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), (method, path)

    other = TestClient(client.app)
    csrf_b = login(other, "b@clinic.example")
    for method, path in paths:
        if "{patient_id}" not in path:
            continue
        r = other.request(method, path.format(**fill), data={"csrf_token": csrf_b},
                          follow_redirects=False)
        assert r.status_code == 404, (method, path)
        assert "Anna" not in r.text
    assert "Anna" not in other.get("/patients").text
    # a device token is no therapist session
    anonymous.cookies.set("hv_session", device["Authorization"].split()[1])
    assert anonymous.get("/patients", follow_redirects=False).status_code == 303


def test_session_cookie_flags_logout_and_expiry(client):
    csrf = login(client, "c@clinic.example")
    cookie = client.cookies.jar
    flags = next(c for c in cookie if c.name == "hv_session")
    assert flags.path == "/" and flags.has_nonstandard_attr("HttpOnly")
    r = client.get("/login")
    set_cookie = client.post("/login", data={"csrf_token": _csrf(r.text),
                                             "email": "c@clinic.example",
                                             "password": PASSWORD},
                             follow_redirects=False).headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie
    assert f"Max-Age={8 * 60 * 60}" in set_cookie and "Secure" not in set_cookie
    secure = TestClient(client.app, base_url="https://testserver")
    r = secure.get("/login")
    set_cookie = secure.post("/login", data={"csrf_token": _csrf(r.text),
                                             "email": "c@clinic.example",
                                             "password": PASSWORD},
                             follow_redirects=False).headers["set-cookie"]
    assert "Secure" in set_cookie
    # wrong password: 401 page, no session
    bad = TestClient(client.app)
    r = bad.get("/login")
    r = bad.post("/login", data={"csrf_token": _csrf(r.text), "email": "c@clinic.example",
                                 "password": "wrong"})
    assert r.status_code == 401 and "wrong email or password" in r.text
    # logout revokes the token server-side, not only the cookie
    token = client.cookies.get("hv_session")
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 403  # stale
    csrf = _csrf(client.get("/patients").text)  # the token of the newest session
    r = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and 'hv_session=""' in r.headers["set-cookie"]
    replay = TestClient(client.app)
    replay.cookies.set("hv_session", token)
    assert replay.get("/patients", follow_redirects=False).status_code == 303
    # an expired token is refused too
    csrf = login(client, "d@clinic.example")
    with client.app.state.engine.begin() as conn:
        conn.execute(text("UPDATE auth_tokens SET expires_at = :t"),
                     {"t": datetime.now(UTC) - timedelta(minutes=1)})
    assert client.get("/patients", follow_redirects=False).status_code == 303


def test_posts_need_the_csrf_token_and_same_origin(client):
    csrf = login(client, "e@clinic.example")
    r = client.post("/patients/new", data={"display_name": "NoToken"})
    assert r.status_code == 403
    r = client.post("/patients/new", data={"csrf_token": "x" * 64, "display_name": "Forged"})
    assert r.status_code == 403
    r = client.post("/patients/new", data={"csrf_token": csrf, "display_name": "Cross"},
                    headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert "NoToken" not in client.get("/patients").text
    # login without the double-submit cookie
    fresh = TestClient(client.app)
    token = _csrf(fresh.get("/login").text)
    fresh.cookies.clear()
    r = fresh.post("/login", data={"csrf_token": token, "email": "e@clinic.example",
                                   "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403
    # open redirects are refused
    fresh = TestClient(client.app)
    token = _csrf(fresh.get("/login").text)
    r = fresh.post("/login", data={"csrf_token": token, "email": "e@clinic.example",
                                   "password": PASSWORD, "next": "//evil.example/x"},
                   follow_redirects=False)
    assert r.headers["location"] == "/patients"


# ---- what the pages show -------------------------------------------------------------------

def test_patient_list_equals_the_per_patient_reports(client):
    csrf = login(client, "f@clinic.example")
    a, dev_a = enrol_patient(client, csrf, "Anna", "Europe/Berlin")
    b, dev_b = enrol_patient(client, csrf, "Bert", "America/New_York")
    c, _ = enrol_patient(client, csrf, "Cleo")
    seed(client, a, dev_a, days=40, seed=3, tz="Europe/Berlin")
    records_b = seed(client, b, dev_b, days=20, seed=4, tz="America/New_York", rx_days_ago=10)
    with client.app.state.engine.begin() as conn:  # Cleo enrolled a week ago, never active
        conn.execute(text("UPDATE patients SET created_at = :t WHERE id = :i"),
                     {"t": datetime.now(UTC) - timedelta(days=7), "i": c})
    settings = client.app.state.settings
    with client.app.state.sessionmaker() as db:
        therapist = db.get(Patient, a).therapist
        defaults = AlertDefaults.from_settings(settings)
        rows = {r.patient.id: r for r in dashboard.patient_overviews(
            db, therapist, defaults=defaults)}
        for pid in (a, b, c):
            p = db.get(Patient, pid)
            today = reports.local_today(p)
            for days, got in ((7, rows[pid].adherence_7d_pct), (30, rows[pid].adherence_30d_pct)):
                want = dashboard.adherence_pct(reports.adherence(
                    db, p, period="day", start=today - timedelta(days=days - 1), end=today))
                assert got == want, (pid, days)
            want_alerts = sorted((x.kind, x.subject, x.day, x.message)
                                 for x in alerts.patient_alerts(db, p, defaults))
            got_alerts = sorted((x.kind, x.subject, x.day, x.message) for x in rows[pid].alerts)
            assert got_alerts == want_alerts, pid
            rtm = rtm_ledger.ledger(db, p, as_of=reports.local_today(p))
            if rtm.periods:
                assert rows[pid].rtm.days_with_data == rtm.periods[-1].days_with_data
                assert rows[pid].rtm.band == rtm.periods[-1].band
            else:
                assert rows[pid].rtm is None
    assert rows[a].adherence_7d_pct is not None and 50 < rows[a].adherence_30d_pct < 100
    assert rows[c].adherence_7d_pct is None and rows[c].last_session_day is None
    assert [x.kind for x in rows[c].alerts] == ["missed"]
    assert rows[b].last_session_day == max(
        datetime.fromisoformat(r["started_at"]).date() for r in records_b)

    page = client.get("/patients?sort=name&dir=asc").text
    assert page.index(">Anna<") < page.index(">Bert<") < page.index(">Cleo<")
    page = client.get("/patients?sort=name&dir=desc").text
    assert page.index(">Cleo<") < page.index(">Bert<") < page.index(">Anna<")
    page = client.get("/patients?q=ber").text
    assert ">Bert<" in page and ">Anna<" not in page
    assert 'aria-sort="ascending"' in client.get("/patients?sort=name&dir=asc").text


def test_patient_page_charts_calendar_and_csv_show_the_uploads(client):
    csrf = login(client, "g@clinic.example")
    pid, device = enrol_patient(client, csrf, "Anna")
    records = seed(client, pid, device, days=28, seed=5)
    html = client.get(f"/patients/{pid}?window=30").text
    squat = [(max(p), statistics.median(p)) for p in (
        [r["rom_peak_deg"] for s in e["sets"] for r in s["repetitions"]]
        for rec in records for e in rec["exercises"] if e["exercise_id"] == "squat")]
    import json
    payload = json.loads(re.search(
        r'<script type="application/json" id="chart-data-rom-squat-knee-flexion">(.*?)</script>',
        html, re.DOTALL).group(1))
    assert payload["series"][0]["values"] == pytest.approx([b for b, _ in squat])
    assert payload["series"][1]["values"] == pytest.approx([m for _, m in squat])
    assert {r["kind"]: (r["low"], r["high"]) for r in payload["refs"]} == {
        "normal": (135.0, 140.0), "target": (90.0, 90.0)}
    cells = dict(re.findall(r'data-day="([\d-]+)" data-reps-done="(\d+)"', html))
    for rec in records:
        day = rec["started_at"][:10]
        assert int(cells[day]) == sum(s["reps"] for e in rec["exercises"] for s in e["sets"])
    assert 'data-reps-prescribed="36"' in html
    first = records[0]["session_id"]
    assert f"/sessions/{first}" in html
    csv_text = client.get(f"/patients/{pid}/export.csv?window=30").text
    assert csv_text.count("\n") == 1 + sum(len(r["exercises"]) for r in records)
    adherence_csv = client.get(f"/patients/{pid}/adherence.csv?window=30").text
    assert adherence_csv.startswith("day,exercise_id,") and ",squat," in adherence_csv
    page = client.get(f"/patients/{pid}/sessions/{first}")
    assert page.status_code == 200 and "per repetition" in page.text
    reps_csv = client.get(f"/patients/{pid}/sessions/{first}/reps.csv").text
    assert reps_csv.count("\n") == 1 + sum(len(s["repetitions"]) for e in records[0]["exercises"]
                                           for s in e["sets"])
    assert client.get(f"/patients/{pid}/sessions/{uuid.uuid4()}").status_code == 404
    assert client.get(f"/patients/{pid}/sessions/not-a-uuid").status_code == 404
    r = client.get(f"/patients/{pid}")
    assert r.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "cdn" not in r.text.lower() and "https://" not in r.text.split("<main")[0]


def test_prescription_editor_writes_versions_the_device_reads(client):
    csrf = login(client, "h@clinic.example")
    pid, device = enrol_patient(client, csrf, "Anna")
    url = f"/patients/{pid}/prescription"
    r = client.post(url, data={"csrf_token": csrf, "action": "add", "add_exercise": "squat"})
    assert r.status_code == 200 and 'id="ex-0-sets"' in r.text and 'value="3"' in r.text
    form = {"csrf_token": csrf, "ex-0-exercise_id": "squat", "ex-0-sets": "2", "ex-0-reps": "300",
            "ex-0-target_rom_deg": "95", "ex-0-max_rom_deg": "110", "ex-0-pain_stop_nrs": "6",
            "ex-0-precautions": "No deep squats\n\nHold a chair", "ex-0-prog_after_days": "7",
            "ex-0-prog_reps": "12", "ex-0-side": "left", "precautions": "Stop if dizzy",
            "notes": "Morning is best"}
    r = client.post(url, data={**form, "action": "save"})
    assert r.status_code == 422 and 'id="ex-0-reps-error"' in r.text and 'value="300"' in r.text
    r = client.post(url, data={**form, "ex-0-reps": "10", "action": "save"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/patients/{pid}?saved=1"
    current = client.get(f"{API_PREFIX}/patients/{pid}/prescriptions/current",
                         headers=device).json()
    ex = current["exercises"][0]
    assert current["version"] == 1 and ex["reps"] == 10 and ex["side"] == "left"
    assert ex["overrides"] == {"target_rom_deg": 95.0, "max_rom_deg": 110.0,
                               "max_reps_per_set": None, "pain_stop_nrs": 6,
                               **dict.fromkeys(PERSONAL_FIELDS)}
    assert ex["precautions"] == ["No deep squats", "Hold a chair"]
    assert ex["progression"][0]["after_days"] == 7 and ex["progression"][0]["reps"] == 12
    assert current["precautions"] == ["Stop if dizzy"] and current["notes"] == "Morning is best"
    # the editor opens on the current version; removing the last exercise cannot be saved
    page = client.get(url).text
    assert 'value="95"' in page and "No deep squats" in page
    r = client.post(url, data={**form, "ex-0-reps": "10", "action": "remove-0"})
    assert 'id="no-exercises"' in r.text
    r = client.post(url, data={"csrf_token": csrf, "action": "save"})
    assert r.status_code == 422 and "add at least one exercise" in r.text
    r = client.post(url, data={"csrf_token": csrf, "action": "add", "add_exercise": "nope"})
    assert r.status_code == 422


def test_enrolment_page_shows_a_working_code_and_qr(client):
    csrf = login(client, "i@clinic.example")
    r = client.post("/patients/new", data={"csrf_token": csrf, "display_name": ""})
    assert r.status_code == 422 and 'aria-invalid="true"' in r.text
    r = client.post("/patients/new", data={"csrf_token": csrf, "display_name": "Zed",
                                           "timezone": "Mars/Olympus"})
    assert r.status_code == 422 and "unknown time zone" in r.text
    pid, _ = enrol_patient(client, csrf, "Zed")
    r = client.post(f"/patients/{pid}/enrolment-code", data={"csrf_token": csrf})
    code = re.search(r'id="enrolment-code">([^<]+)<', r.text).group(1)
    assert r.headers["cache-control"] == "no-store"
    assert "<svg" in r.text and 'class="qr"' in r.text and f"code={code}" in r.text
    e = client.post(f"{API_PREFIX}/devices/enrol", json={"code": code})
    assert e.status_code == 201 and e.json()["patient_id"] == pid


def test_vendored_chart_library_is_served_and_matches_its_manifest(client):
    vendor = WEB_DIR / "static" / "vendor" / "uplot"
    manifest = (vendor / "VENDOR.md").read_text()
    for name in ("uPlot.iife.min.js", "uPlot.min.css", "LICENSE"):
        digest = hashlib.sha256((vendor / name).read_bytes()).hexdigest()
        assert f"| {name} | {digest} |" in manifest, name
    assert "MIT License" in (vendor / "LICENSE").read_text()
    r = client.get("/static/vendor/uplot/uPlot.iife.min.js")
    assert r.status_code == 200 and "uPlot" in r.text[:200]
    assert client.get("/static/dashboard.js").status_code == 200


def test_a_year_of_daily_sessions_renders_in_under_a_second(client):
    csrf = login(client, "j@clinic.example")
    pid, device = enrol_patient(client, csrf, "Yara")
    records = seed(client, pid, device, days=365, seed=9, tz="UTC")
    assert len(records) > 250
    timings = {}
    for path in ("/patients", f"/patients/{pid}?window=365", f"/patients/{pid}?window=all",
                 f"/patients/{pid}/prescription",
                 f"/patients/{pid}/sessions/{records[-1]['session_id']}"):
        client.get(path)  # warm
        t0 = time.perf_counter()
        r = client.get(path)
        timings[path] = time.perf_counter() - t0
        assert r.status_code == 200
    assert max(timings.values()) < 1.0, timings


def test_templates_and_static_are_package_data():
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert '"hepvision.server.web"' in pyproject
    for pattern in ("templates/*.html", "static/*.css", "static/*.js", "static/vendor/uplot/*"):
        assert pattern in pyproject
