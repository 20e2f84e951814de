"""The patient's rights and reminders: data export, erasure, and the calendar feed.

Erasure is checked on every table of the schema (tables added later included): after it, no
row of the patient is left anywhere, on SQLite and (when ``HEPVISION_TEST_POSTGRES_URL`` is
set) PostgreSQL, and the other therapist's patient is untouched.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

from dateutil.rrule import rrulestr
from icalendar import Calendar
from sqlalchemy import func, select

from hepvision.server.api.main import API_PREFIX
from hepvision.server.data.patient_rows import patient_selections
from hepvision.server.models import AuditEntry, Base, Prescription
from hepvision.server.schedule import template_names
from tests.clinic.world import seed


def _url(clinic, path: str, patient=None) -> str:
    return f"{API_PREFIX}/patients/{(patient or clinic.patient).id}/{path}"


# ---- export --------------------------------------------------------------------------------

def test_export_holds_everything_and_no_secret(client):
    clinic = seed(client)
    for who in (clinic.a.headers, clinic.patient.headers):  # therapist, or the patient's device
        r = client.get(_url(clinic, "export"), headers=who)
        assert r.status_code == 200, r.text
    data = r.json()
    assert data["format"] == "hepvision-patient-export"
    assert data["patient"]["display_name"] == "Ada Lovelace"
    assert data["patient"]["external_ref"] == "MRN-0042"
    assert [p["version"] for p in data["prescriptions"]] == [1, 2]
    uploaded = {rec["session_id"]: rec for rec in clinic.records}
    assert {s["record"]["session_id"] for s in data["sessions"]} == set(uploaded)
    for s in data["sessions"]:
        assert s["record"]["pain_before"] == uploaded[s["record"]["session_id"]]["pain_before"]
    assert len(data["transmission_days"]) == 5 and len(data["devices"]) == 1
    assert {(e["action"], e["resource"]) for e in data["audit"]} >= {
        ("create", "session"), ("export", "patient_export")}
    assert data["fhir"]["resourceType"] == "Bundle" and len(data["fhir"]["entry"]) > 30
    text = json.dumps(data)
    for secret in ("token_digest", "code_digest", "password_hash",
                   clinic.patient.headers["Authorization"].split()[1]):
        assert secret not in text


def test_export_is_refused_to_others(client):
    clinic = seed(client)
    assert client.get(_url(clinic, "export"), headers=clinic.b.headers).status_code == 404
    assert client.get(_url(clinic, "export"), headers=clinic.other.headers).status_code == 403
    assert client.get(_url(clinic, "export")).status_code == 401


# ---- erasure -------------------------------------------------------------------------------

def _rows_of(db, patient_id: int) -> dict[str, int]:
    return {s.table.name: db.scalar(select(func.count()).select_from(s.table).where(s.where))
            for s in patient_selections(patient_id)}


def _all_values(db) -> list[str]:
    out = []
    for table in Base.metadata.sorted_tables:
        out.extend(str(v) for row in db.execute(select(table)) for v in row)
    return out


def test_erasure_leaves_no_row_of_the_patient(client):
    clinic = seed(client)
    pid = clinic.patient.id
    assert client.post(_url(clinic, "calendar-feed"), headers=clinic.patient.headers
                       ).status_code == 201
    assert client.get(_url(clinic, "fhir"), headers=clinic.a.headers).status_code == 200
    with client.app.state.sessionmaker() as db:
        before = _rows_of(db, pid)
        other_before = _rows_of(db, clinic.other.id)
    assert before["sessions"] == 5 and before["auth_tokens"] == 2  # device + calendar feed

    r = client.delete(_url(clinic, "data"), headers=clinic.a.headers)
    assert r.status_code == 200, r.text
    receipt = r.json()
    assert receipt["rows_deleted"] == {t: n for t, n in before.items() if n}

    with client.app.state.sessionmaker() as db:
        assert set(_rows_of(db, pid).values()) == {0}, "a table still holds the patient"
        assert _rows_of(db, clinic.other.id) == other_before
        values = _all_values(db)
        mine = list(db.scalars(select(AuditEntry).where(
            (AuditEntry.patient_id == pid) | (AuditEntry.actor_kind.in_(("device", "calendar"))
                                              & (AuditEntry.actor_id == pid)))))
        erased = db.scalar(select(AuditEntry).where(AuditEntry.action == "erase"))
    assert mine == []
    for personal in ("Ada Lovelace", "MRN-0042", *(rec["session_id"] for rec in clinic.records)):
        assert not any(personal in v for v in values), personal
    assert erased is not None and erased.patient_id is None
    assert (erased.actor_id, erased.resource_id) == (clinic.a.id, receipt["receipt_id"])
    assert receipt["audit_entries_anonymised"] > 5

    assert client.get(_url(clinic, ""), headers=clinic.a.headers).status_code == 404
    assert client.get(_url(clinic, "prescriptions/current"),
                      headers=clinic.patient.headers).status_code == 401


def test_only_the_patients_therapist_may_erase(client):
    clinic = seed(client)
    assert client.delete(_url(clinic, "data"), headers=clinic.patient.headers).status_code == 403
    assert client.delete(_url(clinic, "data"), headers=clinic.b.headers).status_code == 404
    with client.app.state.sessionmaker() as db:
        assert _rows_of(db, clinic.patient.id)["sessions"] == 5


# ---- calendar feed -------------------------------------------------------------------------

def _occurrences(ics: str, first: date, days: int) -> set[tuple[datetime, str]]:
    """(local start, description line) of every session in ``days`` days from ``first``."""
    end = datetime.combine(first + timedelta(days=days), time.min)
    out = set()
    for event in Calendar.from_ical(ics).walk("VEVENT"):
        start = event["DTSTART"].dt
        assert start.tzinfo is None, "floating local time"
        rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=start)
        lines = str(event["DESCRIPTION"]).splitlines()
        for when in rule.between(datetime.combine(first, time.min), end, inc=True):
            out |= {(when, line) for line in lines if ": " in line}
    return out


def test_calendar_feed_lists_the_prescribed_sessions(client):
    clinic = seed(client)
    r = client.post(_url(clinic, "calendar-feed"), headers=clinic.patient.headers)
    assert r.status_code == 201, r.text
    feed = r.json()
    assert feed["url"].endswith(f"/calendar.ics?feed={feed['token']}")
    assert feed["webcal_url"].startswith("webcal://")
    path = feed["url"].split("://", 1)[1].split("/", 1)[1]
    got = client.get("/" + path)  # no Authorization header, as a phone calendar asks
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/calendar")
    assert "Ada" not in got.text and "MRN" not in got.text

    with client.app.state.sessionmaker() as db:
        created = db.scalar(select(Prescription.created_at).where(
            Prescription.patient_id == clinic.patient.id, Prescription.version == 2)).date()
    names = template_names(["squat", "shoulder_abduction"])
    expected = set()
    for d in range(14):
        day = created + timedelta(days=d)
        for at in (time(9), time(18)):
            expected.add((datetime.combine(day, at), f"{names['shoulder_abduction']}: 3 sets "
                          "x 10 reps, hold 2 s, rest 45 s, left side"))
        if day.isoweekday() in (1, 3, 5):
            reps = 8 if d < 7 else 10  # progression: 10 reps after 7 days
            expected.add((datetime.combine(day, time(9)),
                          f"{names['squat']}: 2 sets x {reps} reps, both sides"))
    assert _occurrences(got.text, created, 14) == expected


def test_calendar_feed_rotates_and_stops(client):
    clinic = seed(client)
    first = client.post(_url(clinic, "calendar-feed"), headers=clinic.a.headers).json()["token"]
    second = client.post(_url(clinic, "calendar-feed"),
                         headers=clinic.patient.headers).json()["token"]
    ics = _url(clinic, "calendar.ics")
    assert client.get(ics, params={"feed": first}).status_code == 403  # rotated away
    assert client.get(ics, params={"feed": second}).status_code == 200
    other = _url(clinic, "calendar.ics", clinic.other)
    assert client.get(other, params={"feed": second}).status_code == 403  # another patient
    # A feed token is never a bearer token.
    bearer = {"Authorization": f"Bearer {second}"}
    assert client.get(_url(clinic, "prescriptions/current"), headers=bearer).status_code == 401
    assert client.get(ics, headers=bearer).status_code == 401
    r = client.delete(_url(clinic, "calendar-feed"), headers=clinic.a.headers)
    assert r.json() == {"revoked": 1}
    assert client.get(ics, params={"feed": second}).status_code == 403
    with client.app.state.sessionmaker() as db:
        reads = db.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.resource == "calendar_feed", AuditEntry.actor_kind == "calendar"))
        rotations = db.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.resource == "calendar_feed", AuditEntry.action == "rotate"))
    assert (reads, rotations) == (1, 2)
