"""Queries for the therapist dashboard: the patient list in a few set-based queries.

The patient list shows, for every patient of a therapist at once, what the per-patient reports
(:mod:`hepvision.server.data.reports`) show for one: adherence over the last 7 and 30 days,
the last session, open alerts and the RTM day count of the current 30-day period. Calling the
per-patient reports for 200 patients would be ~1,000 queries; here it is four, whatever the
number of patients (and the alerts' own five), and the results equal the per-patient reports (tests compare them):

- adherence = reps done of the exercises prescribed on each day / reps prescribed, over the
  window (today included), with :func:`reports.adherence`'s rule for the version in force;
  see :func:`adherence_pct`;
- alerts = :func:`hepvision.server.data.alerts.alerts_for` (the API's and the patient page's
  rules): the open ones, and how many are acknowledged;
- RTM = the days with data in the period of :func:`hepvision.server.data.rtm.ledger` that
  contains today.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hepvision.server.data import rtm as rtm_ledger
from hepvision.server.data.alert_rules import AlertDefaults
from hepvision.server.data.alerts import alerts_for
from hepvision.server.data.reports import local_today
from hepvision.server.data.rtm import RTM_PERIOD_DAYS
from hepvision.server.models import (
    ExerciseSession,
    Patient,
    Prescription,
    SessionExercise,
    Therapist,
    TransmissionDay,
)
from hepvision.server.schemas import AdherenceRow, Alert


@dataclass(frozen=True, slots=True)
class RtmNow:
    """The 30-day device period containing today and its days with transmitted data."""

    period_start: date
    period_end: date
    days_with_data: int

    @property
    def band(self) -> str:
        """``16-30`` (98977), ``2-15`` (98985), ``1`` or ``none``."""
        return rtm_ledger.band(self.days_with_data)


@dataclass(frozen=True, slots=True)
class PatientOverview:
    """One row of the patient list."""

    patient: Patient
    today: date
    adherence_7d_pct: float | None
    adherence_30d_pct: float | None
    last_session_day: date | None
    alerts: tuple[Alert, ...] = field(default=())  # open (not acknowledged)
    acknowledged: int = 0  # alerts a therapist closed that still hold
    rtm: RtmNow | None = None


def adherence_pct(rows: Iterable[AdherenceRow]) -> float | None:
    """Reps done of prescribed exercises / reps prescribed, in percent (``None``: nothing
    prescribed). Rows come from :func:`reports.adherence`; exercises done but not prescribed
    in a period do not count, and a row's reps count up to its prescribed reps (extra work on
    one day does not make up for another: at most 100 %)."""
    done = expected = 0.0
    for r in rows:
        if r.reps_prescribed > 0:
            done += min(r.reps_done, r.reps_prescribed)
            expected += r.reps_prescribed
    return round(100.0 * done / expected, 1) if expected > 0 else None


def rtm_now(monitoring_start: date | None, today: date, days: Iterable[date]) -> RtmNow | None:
    """The period of :func:`reports.rtm` containing ``today`` (``None`` before monitoring)."""
    if monitoring_start is None or monitoring_start > today:
        return None
    k = (today - monitoring_start).days // RTM_PERIOD_DAYS
    p_start = monitoring_start + timedelta(days=k * RTM_PERIOD_DAYS)
    p_end = p_start + timedelta(days=RTM_PERIOD_DAYS - 1)
    return RtmNow(p_start, p_end, len({d for d in days if p_start <= d <= p_end}))


def patient_overviews(db: Session, therapist: Therapist, *, defaults: AlertDefaults,
                      include_inactive_patients: bool = True) -> list[PatientOverview]:
    """The patient list of ``therapist`` (ordered by id), in a fixed number of queries."""
    q = select(Patient).where(Patient.therapist_id == therapist.id)
    if not include_inactive_patients:
        q = q.where(Patient.is_active.is_(True))
    patients = list(db.scalars(q.order_by(Patient.id)))
    if not patients:
        return []
    ids = [p.id for p in patients]
    today = {p.id: local_today(p) for p in patients}
    # The earliest instant any patient's window can start (time zones differ by < 1 day).
    lo = datetime.combine(min(today.values()) - timedelta(days=30), time.min, ZoneInfo("UTC"))

    # max(started_at) is answered from the (patient_id, started_at) index; max(day) is not.
    by_id = {p.id: p for p in patients}
    last = {pid: local_day(at, by_id[pid]) for pid, at in db.execute(
        select(ExerciseSession.patient_id, func.max(ExerciseSession.started_at))
        .where(ExerciseSession.patient_id.in_(ids)).group_by(ExerciseSession.patient_id))}

    versions: dict[int, list[Prescription]] = defaultdict(list)
    for v in db.scalars(select(Prescription).where(Prescription.patient_id.in_(ids))
                        .order_by(Prescription.patient_id, Prescription.version)):
        versions[v.patient_id].append(v)

    rows = db.execute(
        select(SessionExercise.patient_id, SessionExercise.day, SessionExercise.exercise_id,
               SessionExercise.reps_done)
        .where(SessionExercise.patient_id.in_(ids), SessionExercise.started_at >= lo)).all()
    by_patient: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        by_patient[r.patient_id].append(r)

    ledger = _ledger_days(db, ids, lo.date() - timedelta(days=1))
    alerts = alerts_for(db, patients, defaults, today=today)
    out = []
    for p in patients:
        t = today[p.id]
        daily = _daily_adherence(by_patient.get(p.id, []), versions.get(p.id, []), p,
                                 t - timedelta(days=29), t)
        mine = alerts.get(p.id, [])
        out.append(PatientOverview(
            patient=p, today=t,
            adherence_7d_pct=_pct(daily[-7:]), adherence_30d_pct=_pct(daily),
            last_session_day=last.get(p.id),
            alerts=tuple(a for a in mine if a.acknowledged is None),
            acknowledged=sum(a.acknowledged is not None for a in mine),
            rtm=rtm_now(p.monitoring_start, t, ledger.get(p.id, []))))
    return out


def _ledger_days(db: Session, ids: list[int], since: date) -> dict[int, list[date]]:
    """The RTM ledger's days since ``since`` of each patient in ``ids``."""
    ledger: dict[int, list[date]] = defaultdict(list)
    for pid, day in db.execute(select(TransmissionDay.patient_id, TransmissionDay.day)
                               .where(TransmissionDay.patient_id.in_(ids),
                                      TransmissionDay.day >= since)):
        ledger[pid].append(day)
    return ledger


def local_day(moment: datetime, patient: Patient) -> date:
    return moment.astimezone(ZoneInfo(patient.timezone)).date()


def _daily_adherence(rows: Sequence[Any], versions: Sequence[Prescription], patient: Patient,
                     start: date, end: date) -> list[tuple[float, float]]:
    """(reps done of prescribed exercises, reps prescribed) per day from ``start`` to ``end``,
    with :func:`reports.adherence`'s rules (version in force, per-exercise rounding)."""
    zone = ZoneInfo(patient.timezone)
    done: dict[tuple[date, str], int] = defaultdict(int)
    for r in rows:
        if start <= r.day <= end:
            done[(r.day, r.exercise_id)] += r.reps_done
    # Compared as POSIX seconds: aware datetimes in a ZoneInfo compare slowly.
    bodies = [(v.created_at.timestamp(), i) for i, v in enumerate(versions)]
    expected_of: dict[int, dict[str, float]] = {}
    for i, v in enumerate(versions):
        expected: dict[str, float] = defaultdict(float)
        for ex in v.body.get("exercises", []):
            per_day = ex.get("sessions_per_day", 1) * ex.get("days_per_week", 7) / 7.0
            expected[ex["exercise_id"]] += per_day * ex["sets"] * ex["reps"]
        expected_of[i] = {k: round(x, 3) for k, x in expected.items() if round(x, 3) > 0}
    out = []
    day = start
    while day <= end:
        end_of_day = datetime.combine(day + timedelta(days=1), time.min, zone).timestamp()
        in_force = None
        for created_at, i in bodies:
            if created_at < end_of_day:
                in_force = i
        prescribed = expected_of[in_force] if in_force is not None else {}
        out.append((float(sum(min(done.get((day, ex_id), 0), reps)
                              for ex_id, reps in prescribed.items())),
                    sum(prescribed.values())))
        day += timedelta(days=1)
    return out


def _pct(days: Sequence[tuple[float, float]]) -> float | None:
    done = sum(d for d, _ in days)
    expected = sum(e for _, e in days)
    return round(100.0 * done / expected, 1) if expected > 0 else None


@dataclass(frozen=True, slots=True)
class ExerciseLine:
    """One exercise of a session (a ``session_exercises`` row)."""

    exercise_id: str
    angle_name: str
    side: str | None
    sets: int
    reps: int
    partial_reps: int
    rom_best_deg: float | None
    rom_median_deg: float | None
    findings_info: int
    findings_caution: int
    findings_stop: int
    findings_by_rule: dict[str, int]


@dataclass(frozen=True, slots=True)
class SessionLine:
    """One session with its exercises, as the patient page lists and charts it."""

    session_id: Any
    started_at: datetime
    day: date
    duration_s: float
    pain_before: int | None
    pain_after: int | None
    stopped_early: bool
    prescription_version: int | None
    exercises: tuple[ExerciseLine, ...]


#: A ROM series' key: (exercise id, angle name, side or None for a two-sided reading).
RomKey = tuple[str, str, str | None]


def rom_measurements(lines: Sequence[SessionLine]
                     ) -> dict[RomKey, list[tuple[SessionLine, ExerciseLine]]]:
    """Every exercise with a measured ROM, grouped by (exercise, angle, side) in first-seen
    order: the one grouping the dashboard's charts and the progress report draw from."""
    out: dict[RomKey, list[tuple[SessionLine, ExerciseLine]]] = {}
    for s in lines:
        for e in s.exercises:
            if e.rom_best_deg is None:
                continue
            side = e.side if e.side in ("left", "right") else None
            out.setdefault((e.exercise_id, e.angle_name, side), []).append((s, e))
    return out


def session_lines(db: Session, patient: Patient, *, start: date | None = None,
                  end: date | None = None, limit: int = 5000) -> list[SessionLine]:
    """Sessions of ``patient`` with their exercises, oldest first, in one query.

    The ``limit`` newest sessions between the patient-local days ``start`` and ``end``
    (inclusive; ``None``: open). ROM and finding values are those of
    :func:`reports.rom_trend` and :func:`reports.finding_counts`.
    """
    q = (select(ExerciseSession.id, ExerciseSession.started_at, ExerciseSession.day,
                ExerciseSession.duration_s, ExerciseSession.pain_before,
                ExerciseSession.pain_after, ExerciseSession.stopped_early,
                ExerciseSession.prescription_version)
         .where(ExerciseSession.patient_id == patient.id))
    zone = ZoneInfo(patient.timezone)
    if start is not None:
        q = q.where(ExerciseSession.started_at >= datetime.combine(start, time.min, zone))
    if end is not None:
        q = q.where(ExerciseSession.started_at
                    < datetime.combine(end + timedelta(days=1), time.min, zone))
    heads = list(db.execute(q.order_by(ExerciseSession.started_at.desc()).limit(limit)))
    heads.reverse()
    if not heads:
        return []
    lines: dict[Any, list[ExerciseLine]] = {h.id: [] for h in heads}
    first = heads[0].started_at
    for r in db.scalars(select(SessionExercise)
                        .where(SessionExercise.patient_id == patient.id,
                               SessionExercise.started_at >= first,
                               SessionExercise.started_at <= heads[-1].started_at)
                        .order_by(SessionExercise.started_at, SessionExercise.position)):
        if r.session_id in lines:
            lines[r.session_id].append(ExerciseLine(
                r.exercise_id, r.angle_name, r.side, r.sets_done, r.reps_done, r.partial_reps,
                r.rom_best_deg, r.rom_median_deg, r.findings_info, r.findings_caution,
                r.findings_stop, dict(r.findings_by_rule or {})))
    return [SessionLine(h.id, h.started_at, h.day, h.duration_s, h.pain_before, h.pain_after,
                        h.stopped_early, h.prescription_version, tuple(lines[h.id]))
            for h in heads]
