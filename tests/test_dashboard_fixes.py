"""Dashboard defects of issue 15, each with a test that failed before the fix:

- the patient list and page said "1 days ago" / "-3650 d ago" (pluralised now; future dates
  cannot be uploaded any more, tests/test_server_validation.py);
- adherence went past 100 % when a patient did more than prescribed (7440 %): capped per day
  and exercise, on the API, the patient list and the page;
- the 90-day calendar showed weeks of grey "0/0" before the patient was enrolled;
- the first session's chart spanned 2027-2029 with the point on its edge, and charts drew
  dates in the browser's time zone while the tables use the patient's (Chromium, real server);
- the /docs page loads its vendored Swagger UI without a CSP error (Chromium).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from hepvision.server.app import create_app
from hepvision.server.core.config import Settings
from hepvision.server.data import accounts
from hepvision.server.web import days_ago
from tests.support.serve_process import ServeProcess
from tests.support.session_records import example_session_record

API = "/api/v1"
PASSWORD = "correct horse battery"
SECRET = "dashboard-fix-secret-0123456789"
CHROMIUM = Path("/usr/bin/chromium")


def test_days_ago_is_pluralised() -> None:
    assert [days_ago(d) for d in (0, 1, 2, -1, -3)] == [
        "today", "1 day ago", "2 days ago", "in 1 day", "in 3 days"]


@pytest.fixture
def clinic(tmp_path):
    app = create_app(Settings(environment="development", secret_key=SECRET,
                              database_url=f"sqlite:///{tmp_path / 'd.db'}",
                              argon2_time_cost=1, argon2_memory_kib=8, session_backdate_days=1))
    with app.state.sessionmaker() as db:
        accounts.create_therapist(db, app.state.security, email="d@clinic.example",
                                  password=PASSWORD)
    client = TestClient(app)
    token = client.post(f"{API}/auth/login", json={"email": "d@clinic.example",
                                                   "password": PASSWORD}).json()["access_token"]
    api = {"Authorization": f"Bearer {token}"}
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"csrf_token": csrf, "email": "d@clinic.example",
                                       "password": PASSWORD, "next": "/patients"}
                       ).status_code == 200
    yield app, client, api
    app.state.engine.dispose()


def _patient_with_one_big_session(client: TestClient, api: dict, tz: str = "UTC") -> int:
    made = client.post(f"{API}/patients", json={"display_name": "Over", "timezone": tz},
                       headers=api).json()
    pid = made["id"]
    assert client.post(f"{API}/patients/{pid}/prescriptions", headers=api, json={
        "exercises": [{"exercise_id": "squat", "sets": 1, "reps": 1}]}).status_code == 201
    device = client.post(f"{API}/devices/enrol", json={"code": made["enrolment"]["code"]}
                         ).json()["device_token"]
    record = example_session_record(started_at=datetime.now(UTC) - timedelta(seconds=5),
                                    sets=3, peaks_deg=(90.0,) * 40)  # 120 reps against 1
    r = client.post(f"{API}/patients/{pid}/sessions", json=record,
                    headers={"Authorization": f"Bearer {device}"})
    assert r.status_code == 201, r.text
    return pid


def test_adherence_is_capped_at_100_percent(clinic) -> None:
    _, client, api = clinic
    pid = _patient_with_one_big_session(client, api)
    rows = client.get(f"{API}/patients/{pid}/adherence?period=day", headers=api).json()
    assert max(r["adherence_pct"] for r in rows if r["adherence_pct"] is not None) == 100.0
    listing = client.get("/patients").text
    percents = [float(p) for p in re.findall(r"(\d+(?:\.\d+)?) ?%", listing)]
    assert percents and max(percents) <= 100.0, percents
    page = client.get(f"/patients/{pid}").text
    assert max(float(p) for p in re.findall(r"(\d+(?:\.\d+)?) ?%", page)) <= 100.0
    assert "today" in listing and "d ago" not in listing


def test_calendar_starts_at_enrolment(clinic) -> None:
    _, client, api = clinic
    pid = _patient_with_one_big_session(client, api)
    page = client.get(f"/patients/{pid}?window=90").text
    days = re.findall(r'data-day="(\d{4}-\d{2}-\d{2})"', page)
    today = datetime.now(UTC).date()
    # before: 90 days back, most of them "0/0" before the patient existed
    assert days and min(days) >= (today - timedelta(days=1)).isoformat(), days[:3]
    assert len(days) <= 2, days


def test_chart_payloads_carry_the_patients_time_zone(clinic) -> None:
    _, client, api = clinic
    pid = _patient_with_one_big_session(client, api, tz="Pacific/Auckland")
    page = client.get(f"/patients/{pid}").text
    assert page.count('"tz": "Pacific/Auckland"') >= 2 or page.count(
        '"tz":"Pacific/Auckland"') >= 2


def _browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing (CI installs it)")
    return pytest.importorskip("playwright.sync_api")


@pytest.mark.slow
def test_first_session_chart_spans_days_in_the_patients_zone(tmp_path) -> None:
    sync_api = _browser()
    url = f"sqlite:///{tmp_path / 'b.db'}"
    app = create_app(Settings(environment="development", secret_key=SECRET, database_url=url,
                              argon2_time_cost=1, argon2_memory_kib=8))
    client = TestClient(app)
    with app.state.sessionmaker() as db:
        accounts.create_therapist(db, app.state.security, email="d@clinic.example",
                                  password=PASSWORD)
    api = {"Authorization": "Bearer " + client.post(f"{API}/auth/login", json={
        "email": "d@clinic.example", "password": PASSWORD}).json()["access_token"]}
    pid = _patient_with_one_big_session(client, api, tz="Pacific/Auckland")
    app.state.engine.dispose()
    server = ServeProcess(["--database-url", url], {
        "HEPVISION_SECRET_KEY": SECRET, "HEPVISION_ARGON2_TIME_COST": "1",
        "HEPVISION_ARGON2_MEMORY_KIB": "8", "HEPVISION_HOME": str(tmp_path / "home")},
        tmp_path / "serve.log")
    server.start()
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                         args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(timezone_id="America/Los_Angeles")
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                    if r.status >= 400 and not r.url.endswith("favicon.ico") else None)
            page.goto(f"{server.base_url}/login?next=/patients/{pid}")
            page.fill("input[name=email]", "d@clinic.example")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_function("Object.keys(window.hvCharts || {}).length > 0",
                                   timeout=90_000)
            got = page.evaluate("""() => Object.values(window.hvCharts).map(c => {
                const p = c.plot;
                p.setCursor({left: p.valToPos(c.payload.x[0], "x"), top: 10});
                return {min: p.scales.x.min, max: p.scales.x.max, x: c.payload.x[0],
                        label: p.root.querySelector(".u-legend .u-value").textContent};
            })""")
            page.goto(f"{server.base_url}/docs")
            page.wait_for_selector(".opblock", timeout=90_000)
            browser.close()
    finally:
        server.stop()
    assert got and not errors, (got, errors)
    for chart in got:
        assert chart["min"] < chart["x"] < chart["max"], chart
        assert chart["max"] - chart["min"] <= 8 * 86400, chart  # about a week, not years
        local = datetime.fromtimestamp(chart["x"], ZoneInfo("Pacific/Auckland")).date()
        assert chart["label"] == local.isoformat(), chart


def _csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_patient_settings_edit_discharge_and_revoke(clinic) -> None:
    _, client, api = clinic
    made = client.post(f"{API}/patients", json={"display_name": "Set"}, headers=api).json()
    pid = made["id"]
    device = client.post(f"{API}/devices/enrol", json={"code": made["enrolment"]["code"]}
                         ).json()["device_token"]
    dev = {"Authorization": f"Bearer {device}"}
    url = f"/patients/{pid}/settings"
    page = client.get(url).text
    assert "1 enrolled device." in page
    csrf = _csrf_of(page)
    r = client.post(url, data={"csrf_token": csrf, "action": "details", "display_name": "Renamed",
                               "external_ref": "MRN-7", "timezone": "Europe/Vienna"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("saved=details")
    got = client.get(f"{API}/patients/{pid}", headers=api).json()
    assert (got["display_name"], got["external_ref"], got["timezone"]) == (
        "Renamed", "MRN-7", "Europe/Vienna")
    bad = client.post(url, data={"csrf_token": csrf, "action": "details", "display_name": "X",
                                 "timezone": "Mars/Base"})
    assert bad.status_code == 422 and "unknown time zone" in bad.text
    assert client.post(url, data={"csrf_token": csrf, "action": "revoke"}).status_code == 200
    assert client.get(f"{API}/patients/{pid}/prescriptions/current",
                      headers=dev).status_code == 401
    assert client.get(f"{API}/auth/me", headers=dev).status_code == 401
    client.post(url, data={"csrf_token": csrf, "action": "discharge"})
    assert client.get(f"{API}/patients/{pid}", headers=api).json()["is_active"] is False
    assert "Discharged" in client.get(url).text
    client.post(url, data={"csrf_token": csrf, "action": "readmit"})
    assert client.get(f"{API}/patients/{pid}", headers=api).json()["is_active"] is True
    assert client.post(url, data={"action": "revoke"}).status_code == 403  # no CSRF token


def test_account_page_changes_password_and_unlocks_a_colleague(clinic, monkeypatch) -> None:
    app, client, api = clinic
    from hepvision.server.data import lockout

    monkeypatch.setattr(lockout, "LOCK_AFTER", 2)
    monkeypatch.setattr(lockout, "ACCOUNT_FREE_FAILURES", 5)
    with app.state.sessionmaker() as db:
        accounts.create_therapist(db, app.state.security, email="c@clinic.example",
                                  password=PASSWORD)
    for _ in range(3):
        client.post(f"{API}/auth/login", json={"email": "c@clinic.example", "password": "no"})
    page = client.get("/account").text
    assert "c@clinic.example" in page and "Unlock" in page
    csrf = _csrf_of(page)
    target = re.search(r'action="/account/unlock/(\d+)"', page).group(1)
    r = client.post(f"/account/unlock/{target}", data={"csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303
    assert "No account is locked" in client.get("/account").text
    app.state.login_limiter = lockout.AddressLimiter()
    assert client.post(f"{API}/auth/login", json={"email": "c@clinic.example",
                                                  "password": PASSWORD}).status_code == 200
    wrong = client.post("/account/password", data={
        "csrf_token": csrf, "current_password": "nope", "new_password": "a new password 1",
        "repeat_password": "a new password 1"})
    assert wrong.status_code == 422 and "current password is wrong" in wrong.text
    r = client.post("/account/password", data={
        "csrf_token": csrf, "current_password": PASSWORD, "new_password": "a new password 1",
        "repeat_password": "a new password 1"}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/account").status_code == 200  # this session stays signed in
    assert client.get(f"{API}/auth/me", headers=api).status_code == 401  # the others do not
    assert client.post(f"{API}/auth/login", json={
        "email": "d@clinic.example", "password": "a new password 1"}).status_code == 200


def test_enrolment_redirects_so_a_reload_creates_no_second_patient(clinic) -> None:
    _, client, api = clinic
    csrf = _csrf_of(client.get("/patients/new").text)
    r = client.post("/patients/new", data={"csrf_token": csrf, "display_name": "Once"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("/enrolment")
    assert "hv_enrol=" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
    code_page = client.get(r.headers["location"]).text
    code = re.search(r'id="enrolment-code">([^<]+)<', code_page).group(1)
    again = client.get(r.headers["location"]).text  # the browser's reload: a GET
    assert f'id="enrolment-code">{code}<' in again
    names = [p["display_name"] for p in client.get(f"{API}/patients", headers=api).json()]
    assert names.count("Once") == 1
    assert client.post(f"{API}/devices/enrol", json={"code": code}).status_code == 201
    used = client.get(r.headers["location"]).text  # a used code is not shown again
    assert 'id="enrolment-code"' not in used and "New enrolment code" in used


@pytest.mark.parametrize("gap_days", [2, 3, 5])
def test_api_list_and_page_agree_on_a_gap(tmp_path, gap_days) -> None:
    """One alert implementation (hepvision.server.data.alerts) for the API, the patient list
    and the patient page: the same kinds for a gap below, at and above the missed-days rule."""
    app = create_app(Settings(environment="development", secret_key=SECRET,
                              database_url=f"sqlite:///{tmp_path / 'a.db'}",
                              argon2_time_cost=1, argon2_memory_kib=8,
                              session_backdate_days=30))
    try:
        with app.state.sessionmaker() as db:
            accounts.create_therapist(db, app.state.security, email="g@clinic.example",
                                      password=PASSWORD)
        client = TestClient(app)
        api = {"Authorization": "Bearer " + client.post(f"{API}/auth/login", json={
            "email": "g@clinic.example", "password": PASSWORD}).json()["access_token"]}
        made = client.post(f"{API}/patients", json={"display_name": "Gap"}, headers=api).json()
        pid = made["id"]
        device = client.post(f"{API}/devices/enrol", json={"code": made["enrolment"]["code"]}
                             ).json()["device_token"]
        when = datetime.now(UTC) - timedelta(days=gap_days)
        assert client.post(f"{API}/patients/{pid}/sessions", headers={
            "Authorization": f"Bearer {device}"}, json=example_session_record(
                started_at=when, pain_before=1, pain_after=1, findings=0)).status_code == 201
        kinds = sorted(a["kind"] for a in client.get(f"{API}/patients/{pid}/alerts",
                                                     headers=api).json())
        csrf = re.search(r'name="csrf_token" value="([^"]+)"',
                         client.get("/login").text).group(1)
        client.post("/login", data={"csrf_token": csrf, "email": "g@clinic.example",
                                    "password": PASSWORD, "next": "/patients"})
        page = client.get(f"/patients/{pid}").text
        open_list = page.split('id="open-alerts"')[1].split("</ul>")[0] if (
            'id="open-alerts"' in page) else ""
        on_page = sorted(re.findall(r'data-kind="([a-z_]+)"', open_list))
        listing = client.get("/patients").text
        count = int(re.search(r'class="alerts" data-count="(\d+)"', listing).group(1))
        assert on_page == kinds and count == len(kinds), (gap_days, kinds, on_page, count)
        assert ("missed" in kinds) == (gap_days >= 3)
    finally:
        app.state.engine.dispose()
