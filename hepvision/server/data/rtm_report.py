"""The RTM month report of a therapist: what each patient's ledger and time log support.

For the calendar month ``YYYY-MM`` and every patient of the therapist, in three queries
whatever the number of patients:

- one ``device`` line per 30-day device-supply period that *ends* in the month (its date of
  service is its last day, so each period appears in exactly one month's report), with its
  days with data and its code (98977 / 98985 / none), and a ``setup`` line (98975) when the
  period is the patient's first to support a device code;
- ``management`` lines for the month's treatment-management time: one per supported code
  (98980, 98981 with its units, or 98979), or one line with no code and the reason.

The periods and codes are :mod:`hepvision.server.data.rtm`'s, so the report equals each
patient's ledger (tests compare them).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from hepvision.server.data import rtm
from hepvision.server.data.reports import csv_cell
from hepvision.server.models import Patient, RtmTimeEntry, Therapist, TransmissionDay

COLUMNS = ("month", "patient_id", "patient", "external_ref", "line", "code", "units",
           "service_date", "period_start", "period_end", "days_with_data", "minutes",
           "live_contact", "note")


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One line of the month report (a CSV row)."""

    patient: Patient
    line: str  # device | setup | management
    code: str  # "" when the line supports no code
    units: int
    service_date: date | None
    period_start: date | None = None
    period_end: date | None = None
    days_with_data: int | None = None
    minutes: int | None = None
    live_contact: bool | None = None
    note: str = ""


def month_lines(db: Session, therapist: Therapist, month: str, *, today: date
                ) -> list[ReportLine]:
    """The report's lines for ``month`` (YYYY-MM), by patient id, device lines first."""
    first, last = rtm.month_bounds(month)
    patients = list(db.scalars(select(Patient).where(Patient.therapist_id == therapist.id)
                               .order_by(Patient.id)))
    ids = [p.id for p in patients]
    days: dict[int, list[date]] = defaultdict(list)
    for pid, day in db.execute(select(TransmissionDay.patient_id, TransmissionDay.day)
                               .where(TransmissionDay.patient_id.in_(ids),
                                      TransmissionDay.day <= last).distinct()):
        days[pid].append(day)
    entries: dict[int, list[RtmTimeEntry]] = defaultdict(list)
    for e in db.scalars(select(RtmTimeEntry).where(RtmTimeEntry.patient_id.in_(ids),
                                                   RtmTimeEntry.day >= first,
                                                   RtmTimeEntry.day <= last)):
        entries[e.patient_id].append(e)
    out: list[ReportLine] = []
    for p in patients:
        out += _device_lines(p, days.get(p.id, []), first, last, today)
        out += _management_lines(p, entries.get(p.id, []), last)
    return out


def _device_lines(p: Patient, days: list[date], first: date, last: date,
                  today: date) -> list[ReportLine]:
    start = rtm.first_monitored_day(p.monitoring_start, days)
    out = []
    for period in rtm.device_periods(start, days, last):
        if not first <= period.period_end <= last:
            continue
        note = ("" if period.code else f"{period.days_with_data} day(s): "
                f"{rtm.DAYS_98985} needed for 98985")
        if period.period_end >= today:
            note = "; ".join(x for x in ("period not over yet", note) if x)
        out.append(ReportLine(p, "device", period.code or "", 1 if period.code else 0,
                              period.period_end, period.period_start, period.period_end,
                              period.days_with_data, note=note))
        if period.setup_code:
            out.append(ReportLine(p, "setup", period.setup_code, 1, period.period_end,
                                  period.period_start, period.period_end,
                                  period.days_with_data, note="first period with a code"))
    return out


def _management_lines(p: Patient, entries: list[RtmTimeEntry], last: date) -> list[ReportLine]:
    if not entries:
        return []
    (summary,) = rtm.month_summaries(entries)
    if not summary.codes:
        return [ReportLine(p, "management", "", 0, last, minutes=summary.minutes,
                           live_contact=summary.live_contact, note=summary.reason)]
    return [ReportLine(p, "management", c.code, c.units, last, minutes=summary.minutes,
                       live_contact=summary.live_contact) for c in summary.codes]


def month_csv(month: str, lines: list[ReportLine]) -> str:
    """The lines as CSV (``COLUMNS``), formula-safe."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    for r in lines:
        live = "" if r.live_contact is None else ("yes" if r.live_contact else "no")
        writer.writerow([csv_cell(v) for v in (
            month, r.patient.id, r.patient.display_name, r.patient.external_ref, r.line,
            r.code, r.units, r.service_date, r.period_start, r.period_end, r.days_with_data,
            r.minutes, live, r.note)])
    return buf.getvalue()
