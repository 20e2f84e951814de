"""The therapist dashboard in headless Chromium, against ``hepvision serve`` as a subprocess.

One walk through the pages a therapist uses, checked against the numbers that went in:
enrol a patient in the browser (code and QR shown), enrol a real device client
(:mod:`hepvision.upload`) with that code, upload six weeks of realistic sessions from it
(:mod:`hepvision.server.web.demo_data`: ROM improving, pain falling, findings, missed days),
then log in, read the patient list, the ROM charts (uPlot's own data and the table under each
chart against the best and median rep peaks of the uploaded records), the adherence calendar
(done and prescribed reps per day), a session's per-repetition chart, edit the prescription,
watch ``hepvision sync`` on the device pull the new version, and log out. Screenshots at
desktop (1280 px) and tablet (768 px) width go to the test's tmp dir and /tmp/hv_dash_*.png.

Skips without /usr/bin/chromium (``.ci/browser.sh`` installs it) or without Playwright.
"""

from __future__ import annotations

import re
import shutil
import statistics
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import update

from hepvision.cli.main import main
from hepvision.server.database import make_engine
from hepvision.server.models import Patient, Prescription
from hepvision.server.web.demo_data import KNEE_REHAB, history
from hepvision.upload.client import ServerClient
from hepvision.upload.device import DeviceConfig
from hepvision.upload.outbox import Outbox
from hepvision.upload.prescription import load_prescription
from hepvision.upload.sync import sync
from hepvision.upload.transport import HttpxTransport
from tests.support.serve_process import serve_with_therapist

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SECRET = "browser-test-secret-0123456789abcdef"
EMAIL, PASSWORD = "pt@clinic.example", "correct horse battery"
HISTORY_DAYS = 42
TIMEZONE = "Europe/Berlin"

if not CHROMIUM.is_file():
    pytest.skip("/usr/bin/chromium is missing (apt-get install -y chromium; CI installs it)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="Playwright for Python is not installed (pip install "
                               "playwright; no `playwright install` needed)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """``hepvision serve`` on a free port with one therapist: (base URL, database URL)."""
    folder = tmp_path_factory.mktemp("dash-server")
    with serve_with_therapist(folder, secret=SECRET, email=EMAIL, password=PASSWORD) as (serve,
                                                                                       db_url):
        yield serve.base_url, db_url


def _shot(page, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"hv_dash_{name}.png"
    page.screenshot(path=str(path), full_page=True)
    shutil.copy(path, f"/tmp/hv_dash_{name}.png")


def _expected_rom(records: list[dict], exercise_id: str) -> list[tuple[int, float, float]]:
    """(unix s, best, median) of the rep peaks per session, as the server summarises them."""
    out = []
    for rec in records:
        for ex in rec["exercises"]:
            if ex["exercise_id"] != exercise_id:
                continue
            peaks = [r["rom_peak_deg"] for s in ex["sets"] for r in s["repetitions"]]
            t = int(datetime.fromisoformat(rec["started_at"]).timestamp())
            out.append((t, max(peaks), float(statistics.median(peaks))))
    return out


def test_therapist_walkthrough(server, tmp_path, monkeypatch, capsys):
    base, db_url = server
    home = tmp_path / "device"
    monkeypatch.setenv("HEPVISION_HOME", str(home))
    today = datetime.now(UTC).astimezone(ZoneInfo(TIMEZONE)).date()
    first_day = today - timedelta(days=HISTORY_DAYS - 1)
    records = history(start=first_day, days=HISTORY_DAYS, timezone=TIMEZONE, seed=7)

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        # -- log in (the skip link is the first thing the keyboard reaches)
        page.goto(f"{base}/patients")
        assert page.url.startswith(f"{base}/login")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{base}/patients")
        cookie = next(c for c in context.cookies() if c["name"] == "hv_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["expires"] > 0

        # -- enrol a patient in the browser; the device enrols with the code shown
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Enrol a patient").click()
        page.get_by_label("Name shown to you").fill("Anna Keller")
        page.get_by_label("Clinic record number (optional)").fill("MRN-0042")
        page.get_by_label("Time zone").fill(TIMEZONE)
        page.get_by_role("button", name="Create and show the enrolment code").click()
        code = page.locator("#enrolment-code").inner_text().strip()
        assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
        assert page.locator("svg.qr path").count() >= 1
        _shot(page, tmp_path, "enrolment")
        with HttpxTransport() as transport:
            answer = ServerClient(base, transport).enrol(code, label="test phone")
        patient_id = answer.patient_id
        DeviceConfig(base, answer.device_token, patient_id, "now").save(home)

        # -- prescription v1 (API), in force since the first day; six weeks of sessions
        token = httpx.post(f"{base}/api/v1/auth/login",
                           json={"email": EMAIL, "password": PASSWORD}).json()["access_token"]
        body = {"exercises": [{"exercise_id": p.exercise_id, "sets": p.sets, "reps": p.reps}
                              for p in KNEE_REHAB]}
        r = httpx.post(f"{base}/api/v1/patients/{patient_id}/prescriptions", json=body,
                       headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 201, r.text
        engine = make_engine(db_url)
        with engine.begin() as conn:
            conn.execute(update(Prescription).values(
                created_at=datetime.combine(first_day - timedelta(days=1),
                                            datetime.min.time(), UTC)))
            conn.execute(update(Patient).values(monitoring_start=first_day))
        engine.dispose()
        with Outbox.default(home) as box, HttpxTransport() as transport:
            for rec in records:
                box.add(rec)
            report = sync(box, ServerClient(base, transport, token=answer.device_token),
                          patient_id)
        assert report.sent == len(records) and report.pending == 0

        # -- patient list
        page.goto(f"{base}/patients")
        row = page.locator(f'tr[data-patient-id="{patient_id}"]')
        assert "Anna Keller" in row.inner_text()
        period_start = first_day + timedelta(days=30)  # the 2nd 30-day period holds today
        days_with_data = len({r["started_at"][:10] for r in records
                              if date.fromisoformat(r["started_at"][:10]) >= period_start})
        assert row.locator("td.rtm").get_attribute("data-days") == str(days_with_data)
        assert row.locator("td.num").nth(0).get_attribute("data-value") != ""
        _shot(page, tmp_path, "list_desktop")

        # -- patient page: ROM chart data and table = the uploaded numbers
        page.get_by_role("link", name="Anna Keller").click()
        page.wait_for_selector("html[data-charts-ready]")
        assert not errors, errors
        page.keyboard.press("Tab")  # skip link first, and it lands on the main content
        assert page.evaluate("document.activeElement.className") == "skip-link"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        for plan in KNEE_REHAB:
            chart_id = f"rom-{plan.exercise_id}-{plan.angle_name}".replace("_", "-")
            data = page.evaluate(f"hvCharts['{chart_id}'].plot.data")
            expected = _expected_rom(records, plan.exercise_id)
            assert data[0] == [t for t, _, _ in expected]
            assert data[1] == pytest.approx([b for _, b, _ in expected], abs=1e-9)
            assert data[2] == pytest.approx([m for _, _, m in expected], abs=1e-9)
            refs = page.evaluate(f"hvCharts['{chart_id}'].payload.refs")
            assert {r["kind"] for r in refs} == {"normal", "target"}
            cells = page.locator(f'table[data-chart-table="{chart_id}"] tbody tr').all()
            assert len(cells) == len(expected)
            last = cells[-1].locator("td").all_text_contents()
            assert float(last[0]) == pytest.approx(expected[-1][1], abs=0.05)
            drawn = page.evaluate(
                f"(() => {{ const c = hvCharts['{chart_id}'].plot.ctx.canvas;"
                " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++;"
                " return [c.width, n]; })()")
            assert drawn[0] > 200 and drawn[1] > 1000, drawn

        # -- calendar: done and prescribed reps per day
        prescribed = sum(p.sets * p.reps for p in KNEE_REHAB)
        done: dict[str, int] = {}
        for rec in records:
            day = rec["started_at"][:10]
            done[day] = done.get(day, 0) + sum(s["reps"] for e in rec["exercises"]
                                               for s in e["sets"])
        cells = page.locator("#calendar td.day[data-day]")
        seen = missed = 0
        for i in range(cells.count()):
            cell = cells.nth(i)
            day = cell.get_attribute("data-day")
            if date.fromisoformat(day) < first_day:
                continue
            seen += 1
            assert int(cell.get_attribute("data-reps-done")) == done.get(day, 0), day
            assert float(cell.get_attribute("data-reps-prescribed")) == prescribed, day
            assert (f"{done.get(day, 0)}/{prescribed}" in cell.inner_text()), day
            missed += "miss" in (cell.get_attribute("class") or "").split()
        assert seen == HISTORY_DAYS and missed == HISTORY_DAYS - len(done)
        _shot(page, tmp_path, "patient_desktop")
        page.set_viewport_size({"width": 768, "height": 1024})
        page.wait_for_timeout(300)  # the charts redraw after a resize (debounced)
        assert page.evaluate("document.documentElement.scrollWidth") <= 768
        width = page.evaluate("hvCharts['rom-squat-knee-flexion'].plot.width")
        assert width <= 740
        _shot(page, tmp_path, "patient_tablet")
        page.set_viewport_size({"width": 1280, "height": 900})

        # -- one session: per-repetition chart = the record's rep peaks
        newest = records[-1]
        page.locator(f'a[href$="/sessions/{newest["session_id"]}"]').click()
        page.wait_for_selector("html[data-charts-ready]")
        peaks = [r["rom_peak_deg"] for s in newest["exercises"][0]["sets"]
                 for r in s["repetitions"]]
        assert page.evaluate("hvCharts['reps-0'].plot.data[1]") == pytest.approx(peaks)
        _shot(page, tmp_path, "session_desktop")

        # -- edit the prescription: squat to 12 reps with a target, add the bridge
        page.goto(f"{base}/patients/{patient_id}")
        page.get_by_role("link", name="Edit prescription").click()
        page.locator("#ex-0-reps").fill("12")
        page.locator("#ex-0-target_rom_deg").fill("100")
        page.get_by_label("Exercise template").select_option("bridge")
        page.get_by_role("button", name="Add exercise").focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator("#exercise-2 > legend").inner_text() == "3. Bridge"
        assert page.locator("#ex-0-reps").input_value() == "12"  # kept across the round trip
        page.locator("#ex-2-days_per_week").fill("9")  # out of range: refused, kept
        page.get_by_role("button", name="Save as a new version").click()
        assert page.locator("#ex-2-days_per_week-error").is_visible()
        assert errors == [("Failed to load resource: the server responded with a status of 422 "
                          "(Unprocessable Entity)")]  # the refused save, as intended
        errors.clear()
        page.locator("#ex-2-days_per_week").fill("5")
        _shot(page, tmp_path, "prescription_desktop")
        page.get_by_role("button", name="Save as a new version").click()
        page.wait_for_url(re.compile(rf".*/patients/{patient_id}\?saved=2$"))
        assert "version 2 saved" in page.locator("#saved-notice").inner_text()

        # -- the device pulls the new version at its next sync
        capsys.readouterr()
        assert main(["sync"]) == 0
        assert "prescription: version 2 (new)" in capsys.readouterr().out
        saved = load_prescription(home)
        assert saved is not None and saved["version"] == 2
        squat = next(e for e in saved["exercises"] if e["exercise_id"] == "squat")
        assert squat["reps"] == 12 and squat["overrides"]["target_rom_deg"] == 100
        bridge = next(e for e in saved["exercises"] if e["exercise_id"] == "bridge")
        assert bridge["days_per_week"] == 5
        assert main(["sync", "--status"]) == 0
        assert "prescription: version 2" in capsys.readouterr().out

        # -- log out: the session ends, pages ask for a login again
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(f"{base}/login?logged_out=1")
        page.goto(f"{base}/patients/{patient_id}")
        assert page.url.startswith(f"{base}/login")
        assert not errors, errors
        browser.close()
