"""Remote therapeutic monitoring (RTM): the device-supply ledger and the management time log.

Two clocks (``CLINICAL.md``):

- **Device supply** runs on 30-day periods from the first monitored day (the patient's
  ``monitoring_start``; the first day with data when it is unset). A period supports 98977
  with data on 16-30 of its days, 98985 with 2-15, never both; 98975 (setup and patient
  education) is supported once, in the first period that supports a device code. A day counts
  once however many sessions it had; days before the first monitored day count in no period.
- **Treatment management** runs on the calendar month: with at least one live interactive
  communication in the month, 10-19 minutes support 98979, 20 minutes 98980, and each further
  full 20 minutes one unit of 98981 (98979 is not reported with 98980). Without a live
  contact the minutes support no code.

These are the rules as the server applies them, not billing advice: payers differ.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hepvision.server.data import audit
from hepvision.server.errors import NotFoundError
from hepvision.server.models import Patient, RtmTimeEntry, Therapist, TransmissionDay, utcnow
from hepvision.server.schemas import (
    DeviceCode,
    RtmBand,
    RtmMonth,
    RtmPeriod,
    RtmPublic,
    RtmTimeCreate,
    RtmTimeUpdate,
    RtmUnits,
)

RTM_PERIOD_DAYS = 30
#: Fewest days with data for each device-supply code.
DAYS_98977 = 16
DAYS_98985 = 2
#: Management minutes: 98979 from 10, 98980 from 20, one 98981 per further full 20.
MINUTES_98979 = 10
MINUTES_98980 = 20
MINUTES_98981 = 20


def band(days_with_data: int) -> RtmBand:
    n = days_with_data
    return "16-30" if n >= DAYS_98977 else "2-15" if n >= DAYS_98985 else "1" if n == 1 \
        else "none"


def device_code(days_with_data: int) -> DeviceCode | None:
    """98977 for 16-30 days with data, 98985 for 2-15, else none (one code per period)."""
    if days_with_data >= DAYS_98977:
        return "98977"
    if days_with_data >= DAYS_98985:
        return "98985"
    return None


def first_monitored_day(monitoring_start: date | None, days: Sequence[date]) -> date | None:
    return monitoring_start if monitoring_start is not None else (min(days) if days else None)


def device_periods(start: date | None, days: Iterable[date], as_of: date) -> list[RtmPeriod]:
    """The 30-day periods from ``start`` up to the one containing ``as_of``.

    ``days``: days with transmitted data (duplicates allowed). A period is ``complete`` when
    it ended before ``as_of``; its code is what its days support so far.
    """
    if start is None or start > as_of:
        return []
    ordered = sorted(set(days))
    periods: list[RtmPeriod] = []
    setup_done = False
    p_start = start
    while p_start <= as_of:
        p_end = p_start + timedelta(days=RTM_PERIOD_DAYS - 1)
        n = bisect_right(ordered, p_end) - bisect_left(ordered, p_start)
        code = device_code(n)
        setup = code is not None and not setup_done
        setup_done = setup_done or setup
        periods.append(RtmPeriod(period_start=p_start, period_end=p_end, days_with_data=n,
                                 band=band(n), code=code, setup_code="98975" if setup else None,
                                 complete=p_end < as_of))
        p_start = p_end + timedelta(days=1)
    return periods


def management_codes(minutes: int, live_contact: bool) -> tuple[list[RtmUnits], str]:
    """The management codes ``minutes`` in a calendar month support, and why not more."""
    if minutes <= 0:
        return [], "no time logged"
    if not live_contact:
        return [], "no live interactive communication this month"
    if minutes < MINUTES_98979:
        return [], f"{minutes} min: {MINUTES_98979} needed for 98979"
    if minutes < MINUTES_98980:
        return [RtmUnits(code="98979", units=1)], ""
    extra = (minutes - MINUTES_98980) // MINUTES_98981
    codes = [RtmUnits(code="98980", units=1)]
    if extra:
        codes.append(RtmUnits(code="98981", units=extra))
    return codes, ""


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of ``YYYY-MM`` (ValueError for anything else)."""
    year, mon = (int(x) for x in month.split("-"))
    if len(month) != 7 or not 1 <= mon <= 12:
        raise ValueError(f"not a month (YYYY-MM): {month!r}")
    first = date(year, mon, 1)
    nxt = date(year + mon // 12, mon % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def month_summaries(entries: Iterable[RtmTimeEntry]) -> list[RtmMonth]:
    """One summary per calendar month that has entries, oldest first."""
    by_month: dict[str, list[RtmTimeEntry]] = {}
    for e in entries:
        by_month.setdefault(month_key(e.day), []).append(e)
    out = []
    for month in sorted(by_month):
        rows = by_month[month]
        minutes = sum(e.minutes for e in rows)
        live = any(e.live_contact for e in rows)
        codes, reason = management_codes(minutes, live)
        out.append(RtmMonth(month=month, minutes=minutes, live_contact=live,
                            entries=len(rows), codes=codes, reason=reason))
    return out


def ledger(db: Session, patient: Patient, *, as_of: date) -> RtmPublic:
    """Days with transmitted data, the device periods and the management months."""
    days = sorted(set(db.scalars(select(TransmissionDay.day)
                                 .where(TransmissionDay.patient_id == patient.id))))
    start = first_monitored_day(patient.monitoring_start, days)
    return RtmPublic(patient_id=patient.id, monitoring_start=patient.monitoring_start,
                     days=days, periods=device_periods(start, days, as_of),
                     months=month_summaries(time_entries(db, patient)))


# ---- the time log ------------------------------------------------------------------------

def time_entries(db: Session, patient: Patient, *, month: str | None = None
                 ) -> list[RtmTimeEntry]:
    """The patient's time entries (of ``month``, YYYY-MM), oldest first."""
    q = select(RtmTimeEntry).where(RtmTimeEntry.patient_id == patient.id)
    if month is not None:
        first, last = month_bounds(month)
        q = q.where(RtmTimeEntry.day >= first, RtmTimeEntry.day <= last)
    return list(db.scalars(q.order_by(RtmTimeEntry.day, RtmTimeEntry.id)))


def _describe(e: RtmTimeEntry) -> str:
    return f"{e.day} {e.minutes} min live={'yes' if e.live_contact else 'no'}"


def add_time(db: Session, therapist: Therapist, patient: Patient, data: RtmTimeCreate
             ) -> RtmTimeEntry:
    now = utcnow()
    row = RtmTimeEntry(patient_id=patient.id, therapist_id=therapist.id, day=data.day,
                       minutes=data.minutes, live_contact=data.live_contact, note=data.note,
                       created_at=now, updated_at=now)
    db.add(row)
    db.flush()
    audit.record(db, actor_kind="therapist", actor_id=therapist.id, action="create",
                 resource="rtm_time", resource_id=row.id, patient_id=patient.id,
                 therapist_id=therapist.id, detail=_describe(row))
    db.commit()
    return row


def _entry(db: Session, patient: Patient, entry_id: int) -> RtmTimeEntry:
    row = db.get(RtmTimeEntry, entry_id)
    if row is None or row.patient_id != patient.id:
        raise NotFoundError("time entry not found")
    return row


def update_time(db: Session, therapist: Therapist, patient: Patient, entry_id: int,
                data: RtmTimeUpdate) -> RtmTimeEntry:
    """Change an entry; the audit entry keeps what it said before and after."""
    row = _entry(db, patient, entry_id)
    before = _describe(row)
    for key, value in data.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(row, key, value)
    row.updated_at = utcnow()
    audit.record(db, actor_kind="therapist", actor_id=therapist.id, action="update",
                 resource="rtm_time", resource_id=row.id, patient_id=patient.id,
                 therapist_id=therapist.id, detail=f"{before} -> {_describe(row)}")
    db.commit()
    return row


def delete_time(db: Session, therapist: Therapist, patient: Patient, entry_id: int) -> None:
    row = _entry(db, patient, entry_id)
    audit.record(db, actor_kind="therapist", actor_id=therapist.id, action="delete",
                 resource="rtm_time", resource_id=row.id, patient_id=patient.id,
                 therapist_id=therapist.id, detail=_describe(row))
    db.delete(row)
    db.commit()
