"""RTM (issue 14): device-supply periods and codes, the management time log, the month report.

The rules on synthetic days first (1, 2, 15, 16, 30 days in a period; two periods; days
crossing a period boundary; 9-60 minutes with and without a live contact), then the same
through the API on SQLite and PostgreSQL: uploads on chosen days, the ledger, the audited time
log, the month report CSV, and the patient page.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from hepvision.server.api.main import API_PREFIX
from hepvision.server.data import rtm
from tests.support.session_records import example_session_record
from tests.test_server import (  # noqa: F401 (fixtures)
    app,
    client,
    database_url,
    make_patient,
    make_therapist,
    upload,
)

START = date(2026, 1, 1)  # period 1: Jan 1-30, period 2: Jan 31 - Mar 1


def _days(first: date, n: int) -> list[date]:
    return [first + timedelta(days=k) for k in range(n)]


# ---- the rules -----------------------------------------------------------------------------

@pytest.mark.parametrize("n, code", [(0, None), (1, None), (2, "98985"), (15, "98985"),
                                     (16, "98977"), (30, "98977")])
def test_days_in_a_period_give_one_device_code(n, code):
    periods = rtm.device_periods(START, _days(START, n), as_of=date(2026, 1, 30))
    assert len(periods) == 1
    p = periods[0]
    assert (p.period_start, p.period_end) == (START, date(2026, 1, 30))
    assert p.days_with_data == n and p.code == code
    assert p.setup_code == ("98975" if code else None)
    assert p.band == {0: "none", 1: "1", 2: "2-15", 15: "2-15", 16: "16-30", 30: "16-30"}[n]


def test_two_periods_setup_once_and_days_counted_in_their_own_period():
    # 17 days from Jan 25: 6 fall in period 1 (to Jan 30), 11 in period 2 (from Jan 31).
    days = _days(date(2026, 1, 25), 17)
    days += days[:3]  # a second session on a day counts once
    days.append(date(2025, 12, 31))  # before the first monitored day: in no period
    periods = rtm.device_periods(START, days, as_of=date(2026, 2, 20))
    assert [(p.period_start, p.period_end) for p in periods] == [
        (date(2026, 1, 1), date(2026, 1, 30)), (date(2026, 1, 31), date(2026, 3, 1))]
    assert [p.days_with_data for p in periods] == [6, 11]
    assert [p.code for p in periods] == ["98985", "98985"]
    assert [p.setup_code for p in periods] == ["98975", None]
    assert [p.complete for p in periods] == [True, False]
    # the last day of period 1 and the first of period 2
    edge = rtm.device_periods(START, [date(2026, 1, 30), date(2026, 1, 31)],
                              as_of=date(2026, 3, 1))
    assert [p.days_with_data for p in edge] == [1, 1] and [p.code for p in edge] == [None, None]


def test_setup_goes_with_the_first_period_that_supports_a_code():
    days = [START] + _days(date(2026, 1, 31), 16)  # 1 day, then 16 days
    periods = rtm.device_periods(START, days, as_of=date(2026, 3, 1))
    assert [(p.days_with_data, p.code, p.setup_code) for p in periods] == [
        (1, None, None), (16, "98977", "98975")]
    assert rtm.device_periods(START, days, as_of=date(2025, 12, 31)) == []
    assert rtm.device_periods(None, days, as_of=date(2026, 3, 1)) == []


@pytest.mark.parametrize("minutes, codes", [
    (9, []), (10, [("98979", 1)]), (19, [("98979", 1)]), (20, [("98980", 1)]),
    (39, [("98980", 1)]), (40, [("98980", 1), ("98981", 1)]),
    (59, [("98980", 1), ("98981", 1)]), (60, [("98980", 1), ("98981", 2)])])
def test_management_minutes_give_codes_only_with_a_live_contact(minutes, codes):
    got, reason = rtm.management_codes(minutes, True)
    assert [(c.code, c.units) for c in got] == codes
    assert bool(reason) == (not codes)
    none, why = rtm.management_codes(minutes, False)
    assert none == [] and "live interactive" in why


def test_month_bounds():
    assert rtm.month_bounds("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert rtm.month_bounds("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))
    for bad in ("2026-13", "2026-2", "march"):
        with pytest.raises(ValueError):
            rtm.month_bounds(bad)


# ---- through the API -------------------------------------------------------------------------

def _upload_on(client, patient, days: list[date]) -> None:
    for d in days:
        rec = example_session_record(started_at=datetime(d.year, d.month, d.day, 10,
                                                         tzinfo=UTC))
        assert upload(client, patient, rec).status_code == 201


def _set_start(client, patient_id: int, start: date) -> None:
    with client.app.state.engine.begin() as conn:
        conn.execute(text("UPDATE patients SET monitoring_start = :d WHERE id = :i"),
                     {"d": start, "i": patient_id})


def test_ledger_through_the_api(client):
    t = make_therapist(client, "rtm@clinic.example")
    p = make_patient(client, t, "Rita")
    _set_start(client, p.id, START)
    _upload_on(client, p, _days(date(2026, 1, 25), 17) + [date(2026, 1, 25)])
    r = client.get(f"{API_PREFIX}/patients/{p.id}/rtm", params={"as_of": "2026-02-20"},
                   headers=t.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["days"]) == 17
    assert [(x["days_with_data"], x["code"], x["setup_code"]) for x in body["periods"]] == [
        (6, "98985", "98975"), (11, "98985", None)]


def test_time_log_month_codes_and_audit(client):
    t = make_therapist(client, "log@clinic.example")
    p = make_patient(client, t, "Lou")
    url = f"{API_PREFIX}/patients/{p.id}/rtm/time"
    entries = [("2026-03-03", 12, False), ("2026-03-17", 8, True), ("2026-04-02", 19, False)]
    ids = []
    for day, minutes, live in entries:
        r = client.post(url, json={"day": day, "minutes": minutes, "live_contact": live,
                                   "note": "reviewed ROM trend"}, headers=t.headers)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    assert client.post(url, json={"day": "2026-03-01", "minutes": 0, "live_contact": True},
                       headers=t.headers).status_code == 422

    def months() -> dict[str, tuple[int, list[tuple[str, int]], str]]:
        body = client.get(f"{API_PREFIX}/patients/{p.id}/rtm", headers=t.headers).json()
        return {m["month"]: (m["minutes"], [(c["code"], c["units"]) for c in m["codes"]],
                             m["reason"]) for m in body["months"]}

    got = months()
    assert got["2026-03"][:2] == (20, [("98980", 1)])
    assert got["2026-04"][1] == [] and "live interactive" in got["2026-04"][2]
    # a correction: 12 -> 32 minutes gives 40 in March, one 98981 more; audited before/after
    r = client.patch(f"{url}/{ids[0]}", json={"minutes": 32}, headers=t.headers)
    assert r.status_code == 200 and r.json()["minutes"] == 32
    assert months()["2026-03"][:2] == (40, [("98980", 1), ("98981", 1)])
    assert client.delete(f"{url}/{ids[2]}", headers=t.headers).status_code == 204
    assert "2026-04" not in months()
    assert client.patch(f"{url}/{ids[2]}", json={"minutes": 5},
                        headers=t.headers).status_code == 404
    listed = client.get(url, params={"month": "2026-03"}, headers=t.headers).json()
    assert [e["minutes"] for e in listed] == [32, 8]
    log = client.get(f"{API_PREFIX}/audit", headers=t.headers).json()
    changes = [(e["action"], e["detail"]) for e in log if e["resource"] == "rtm_time"]
    assert ("update", "2026-03-03 12 min live=no -> 2026-03-03 32 min live=no") in changes
    assert ("delete", "2026-04-02 19 min live=no") in changes
    assert sum(a == "create" for a, _ in changes) == 3
    other = make_therapist(client, "other@clinic.example")
    assert client.patch(f"{url}/{ids[0]}", json={"minutes": 1},
                        headers=other.headers).status_code == 404


def test_month_report_equals_the_ledgers(client):
    t = make_therapist(client, "month@clinic.example")
    a = make_patient(client, t, "Ada")
    b = make_patient(client, t, "Ben, Jr.")
    _set_start(client, a.id, START)
    _set_start(client, b.id, date(2026, 1, 10))
    _upload_on(client, a, _days(date(2026, 1, 5), 20))      # period Jan 1-30: 20 days
    _upload_on(client, b, [date(2026, 1, 12)])              # period Jan 10 - Feb 8: 1 day
    client.post(f"{API_PREFIX}/patients/{a.id}/rtm/time", headers=t.headers,
                json={"day": "2026-01-20", "minutes": 45, "live_contact": True})
    r = client.get(f"{API_PREFIX}/rtm/month-report.csv", params={"month": "2026-01"},
                   headers=t.headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    lines = [(x["patient"], x["line"], x["code"], x["units"], x["days_with_data"])
             for x in rows]
    assert lines == [("Ada", "device", "98977", "1", "20"), ("Ada", "setup", "98975", "1", "20"),
                     ("Ada", "management", "98980", "1", ""),
                     ("Ada", "management", "98981", "1", "")]
    assert rows[0]["service_date"] == "2026-01-30" and rows[2]["minutes"] == "45"
    ledger = client.get(f"{API_PREFIX}/patients/{a.id}/rtm", params={"as_of": "2026-01-31"},
                        headers=t.headers).json()
    assert ledger["periods"][0]["code"] == rows[0]["code"]
    feb = list(csv.DictReader(io.StringIO(client.get(
        f"{API_PREFIX}/rtm/month-report.csv", params={"month": "2026-02"},
        headers=t.headers).text)))
    # Ada's second period (Jan 31 - Mar 1) ends in March; Ben's first (Jan 10 - Feb 8) in
    # February, with one day: no code, and the report says why.
    assert [(x["patient"], x["line"], x["code"], x["units"], x["days_with_data"])
            for x in feb] == [("Ben, Jr.", "device", "", "0", "1")]
    assert feb[0]["period_end"] == "2026-02-08" and "2 needed for 98985" in feb[0]["note"]
    assert client.get(f"{API_PREFIX}/rtm/month-report.csv", params={"month": "2026-13"},
                      headers=t.headers).status_code == 422
    other = make_therapist(client, "elsewhere@clinic.example")
    theirs = client.get(f"{API_PREFIX}/rtm/month-report.csv", params={"month": "2026-01"},
                        headers=other.headers).text
    assert theirs.strip().count("\n") == 0 and "Ada" not in theirs


def test_patient_page_shows_the_ledger_and_logs_time(client):
    from tests.test_dashboard import _csrf, login

    csrf = login(client, "page@clinic.example")
    from hepvision.server.data import accounts
    from hepvision.server.schemas import PatientCreate

    with client.app.state.sessionmaker() as db:
        therapist = accounts.therapist_by_email(db, "page@clinic.example")
        patient, _ = accounts.create_patient(db, client.app.state.security, therapist,
                                             PatientCreate(display_name="Pia"),
                                             code_lifetime=timedelta(hours=1))
        pid = patient.id
    today = datetime.now(UTC).date()
    _set_start(client, pid, today - timedelta(days=40))
    r = client.post(f"/patients/{pid}/rtm/time", data={
        "csrf_token": csrf, "day": str(today), "minutes": "21", "live_contact": "yes",
        "note": "video call"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("#rtm")
    page = client.get(f"/patients/{pid}").text
    assert re.search(rf'data-month="{today:%Y-%m}"><td>{today:%Y-%m}</td><td class="num">21<',
                     page)
    assert "98980" in page and "video call" in page
    assert page.count('<tr data-start="') == 2  # two 30-day periods since 40 days ago
    entry = re.search(rf'/patients/{pid}/rtm/time/(\d+)"', page).group(1)
    form = client.get(f"/patients/{pid}/rtm/time/{entry}")
    assert form.status_code == 200 and 'value="21"' in form.text
    r = client.post(f"/patients/{pid}/rtm/time/{entry}", data={
        "csrf_token": _csrf(form.text), "day": str(today), "minutes": "9", "note": "",
        "action": "save"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/patients/{pid}").text
    assert "no live interactive communication this month" in page
    assert client.post(f"/patients/{pid}/rtm/time", data={
        "csrf_token": csrf, "day": str(today), "minutes": "abc"}).status_code == 422
    r = client.post(f"/patients/{pid}/rtm/time/{entry}", data={
        "csrf_token": csrf, "action": "delete"}, follow_redirects=False)
    assert r.status_code == 303 and "No time logged yet." in client.get(f"/patients/{pid}").text
    csv_page = client.get(f"/rtm/month-report.csv?month={today:%Y-%m}")
    assert csv_page.status_code == 200 and csv_page.text.startswith("month,patient_id,")
