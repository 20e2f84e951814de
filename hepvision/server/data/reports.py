"""What the therapist asks: ROM trend, adherence, pain, findings, alerts, RTM days, CSV."""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hepvision.server.models import (
    ExerciseSession,
    Patient,
    Prescription,
    SessionExercise,
    TransmissionDay,
    utcnow,
)
from hepvision.server.schemas import (
    AdherenceRow,
    Alert,
    FindingCounts,
    PainPoint,
    PrescribedExercise,
    RomPoint,
    RtmBand,
    RtmPeriod,
    RtmPublic,
)

RTM_PERIOD_DAYS = 30


def _day_bounds(patient: Patient, start: date | None, end: date | None
                ) -> tuple[datetime | None, datetime | None]:
    zone = ZoneInfo(patient.timezone)
    lo = datetime.combine(start, time.min, zone) if start else None
    hi = datetime.combine(end + timedelta(days=1), time.min, zone) if end else None
    return lo, hi


def local_today(patient: Patient) -> date:
    return utcnow().astimezone(ZoneInfo(patient.timezone)).date()


def rom_trend(db: Session, patient: Patient, *, exercise_id: str | None = None,
              angle_name: str | None = None, start: date | None = None,
              end: date | None = None, limit: int = 1000) -> list[RomPoint]:
    """Best and median peak ROM per session, oldest first (``limit`` newest sessions)."""
    q = select(SessionExercise).where(SessionExercise.patient_id == patient.id)
    if exercise_id:
        q = q.where(SessionExercise.exercise_id == exercise_id)
    if angle_name:
        q = q.where(SessionExercise.angle_name == angle_name)
    lo, hi = _day_bounds(patient, start, end)
    if lo:
        q = q.where(SessionExercise.started_at >= lo)
    if hi:
        q = q.where(SessionExercise.started_at < hi)
    rows = list(db.scalars(q.order_by(SessionExercise.started_at.desc()).limit(limit)))
    rows.reverse()
    return [RomPoint(session_id=r.session_id, started_at=r.started_at, day=r.day,
                     exercise_id=r.exercise_id, angle_name=r.angle_name, side=r.side,
                     reps=r.reps_done, rom_best_deg=r.rom_best_deg,
                     rom_median_deg=r.rom_median_deg) for r in rows]


def _sessions(db: Session, patient: Patient, start: date | None, end: date | None,
              limit: int = 5000) -> list[ExerciseSession]:
    q = select(ExerciseSession).where(ExerciseSession.patient_id == patient.id)
    lo, hi = _day_bounds(patient, start, end)
    if lo:
        q = q.where(ExerciseSession.started_at >= lo)
    if hi:
        q = q.where(ExerciseSession.started_at < hi)
    rows = list(db.scalars(q.order_by(ExerciseSession.started_at.desc()).limit(limit)))
    rows.reverse()
    return rows


def pain_trend(db: Session, patient: Patient, *, start: date | None = None,
               end: date | None = None) -> list[PainPoint]:
    return [PainPoint(session_id=s.id, started_at=s.started_at, day=s.day,
                      pain_before=s.pain_before, pain_after=s.pain_after)
            for s in _sessions(db, patient, start, end)
            if s.pain_before is not None or s.pain_after is not None]


def finding_counts(db: Session, patient: Patient, *, start: date | None = None,
                   end: date | None = None, limit: int = 1000) -> list[FindingCounts]:
    q = select(SessionExercise).where(SessionExercise.patient_id == patient.id)
    lo, hi = _day_bounds(patient, start, end)
    if lo:
        q = q.where(SessionExercise.started_at >= lo)
    if hi:
        q = q.where(SessionExercise.started_at < hi)
    rows = list(db.scalars(q.order_by(SessionExercise.started_at.desc()).limit(limit)))
    rows.reverse()
    return [FindingCounts(session_id=r.session_id, started_at=r.started_at,
                          exercise_id=r.exercise_id, info=r.findings_info,
                          caution=r.findings_caution, stop=r.findings_stop,
                          by_rule=dict(r.findings_by_rule or {})) for r in rows]


def adherence(db: Session, patient: Patient, *, period: str, start: date,
              end: date) -> list[AdherenceRow]:
    """Sessions and reps done vs prescribed, per day or ISO week and prescribed exercise.

    The prescription in force on a day is the newest version created before that day ended.
    Prescribed sessions per day are ``sessions_per_day * days_per_week / 7`` (fractional: a
    3-days-a-week program expects 3 sessions a week, not a fixed weekday).
    """
    zone = ZoneInfo(patient.timezone)
    versions = list(db.scalars(select(Prescription).where(Prescription.patient_id == patient.id)
                               .order_by(Prescription.version)))

    def in_force(day: date) -> list[PrescribedExercise]:
        end_of_day = datetime.combine(day + timedelta(days=1), time.min, zone)
        body = None
        for v in versions:
            if v.created_at < end_of_day:
                body = v.body
        return [PrescribedExercise(**e) for e in body["exercises"]] if body else []

    def bucket(day: date) -> date:
        return day if period == "day" else day - timedelta(days=day.weekday())

    done: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0])
    lo, hi = _day_bounds(patient, start, end)
    for day, ex_id, reps in db.execute(
            select(SessionExercise.day, SessionExercise.exercise_id, SessionExercise.reps_done)
            .where(SessionExercise.patient_id == patient.id,
                   SessionExercise.started_at >= lo, SessionExercise.started_at < hi)):
        cell = done[(bucket(day), ex_id)]
        cell[0] += 1
        cell[1] += reps
    expected: dict[tuple[date, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    day = start
    while day <= end:
        for ex in in_force(day):
            per_day = ex.sessions_per_day * ex.days_per_week / 7.0
            due = expected[(bucket(day), ex.exercise_id)]
            due[0] += per_day
            due[1] += per_day * ex.sets * ex.reps
        day += timedelta(days=1)
    rows = []
    for key in sorted(set(done) | set(expected)):
        s_done, r_done = done.get(key, [0, 0])
        s_exp, r_exp = expected.get(key, [0.0, 0.0])
        rows.append(AdherenceRow(
            period_start=key[0], exercise_id=key[1], sessions_done=s_done,
            sessions_prescribed=round(s_exp, 3), reps_done=r_done,
            reps_prescribed=round(r_exp, 3),
            adherence_pct=round(100.0 * r_done / r_exp, 1) if r_exp > 0 else None))
    return rows


def alerts(db: Session, patient: Patient, *, pain_threshold: int, rom_drop_deg: float,
           as_of: date | None = None, days: int = 14) -> list[Alert]:
    """Pain at or above the threshold, stop findings, and ROM falling against last week.

    ROM drop: for each exercise and joint angle, the median of the sessions' best peak ROM in
    the 7 days up to ``as_of`` against the 7 days before; an alert when it fell by at least
    ``rom_drop_deg``.
    """
    as_of = as_of or local_today(patient)
    found: list[Alert] = []
    for s in _sessions(db, patient, as_of - timedelta(days=days - 1), as_of):
        worst = max(p for p in (s.pain_before, s.pain_after, -1) if p is not None)
        if worst >= pain_threshold:
            found.append(Alert(kind="pain", severity="high" if worst >= 9 else "warning",
                               day=s.day, session_id=s.id, value=float(worst),
                               message=f"pain {worst}/10 reported"))
    week = as_of - timedelta(days=6)
    prev = week - timedelta(days=7)
    lo, hi = _day_bounds(patient, prev, as_of)
    this_week: dict[tuple[str, str], list[float]] = defaultdict(list)
    last_week: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in db.scalars(select(SessionExercise).where(SessionExercise.patient_id == patient.id,
                                                      SessionExercise.started_at >= lo,
                                                      SessionExercise.started_at < hi)):
        if r.findings_stop and r.day >= as_of - timedelta(days=days - 1):
            found.append(Alert(kind="stop_finding", severity="high", day=r.day,
                               session_id=r.session_id, exercise_id=r.exercise_id,
                               value=float(r.findings_stop),
                               message=f"{r.findings_stop} stop finding(s) in {r.exercise_id}"))
        if r.rom_best_deg is None:
            continue
        (this_week if r.day >= week else last_week)[(r.exercise_id, r.angle_name)].append(
            r.rom_best_deg)
    for (exercise_id, _angle), drop, message in rom_drops(this_week, last_week, rom_drop_deg):
        found.append(Alert(kind="rom_drop", severity="warning", day=as_of,
                           exercise_id=exercise_id, value=round(drop, 1), message=message))
    found.sort(key=lambda a: (a.day, a.kind))
    return found


def rom_drops(this_week: dict[tuple[str, str], list[float]],
              last_week: dict[tuple[str, str], list[float]],
              rom_drop_deg: float) -> list[tuple[tuple[str, str], float, str]]:
    """The ROM-regression rule shared by the API's alerts and the dashboard's.

    For each (exercise, angle) seen in both weeks: the drop of the median best ROM from last
    week to this week, when it is at least ``rom_drop_deg``, with the alert's message.
    """
    out = []
    for key, now_values in sorted(this_week.items()):
        before = last_week.get(key)
        if not before:
            continue
        drop = statistics.median(before) - statistics.median(now_values)
        if drop >= rom_drop_deg:
            out.append((key, drop, f"{key[0]} {key[1]}: median best ROM fell {drop:.1f} deg "
                                   "against the previous week"))
    return out


def rtm(db: Session, patient: Patient, *, as_of: date | None = None) -> RtmPublic:
    """Days with transmitted data and the 30-day device periods from the monitoring start."""
    days = sorted(set(db.scalars(select(TransmissionDay.day)
                                 .where(TransmissionDay.patient_id == patient.id))))
    periods: list[RtmPeriod] = []
    start = patient.monitoring_start
    if start is not None:
        as_of = as_of or local_today(patient)
        p_start = start
        while p_start <= as_of:
            p_end = p_start + timedelta(days=RTM_PERIOD_DAYS - 1)
            n = sum(1 for d in days if p_start <= d <= p_end)
            band: RtmBand = "16-30" if n >= 16 else "2-15" if n >= 2 else "1" if n == 1 else "none"
            periods.append(RtmPeriod(period_start=p_start, period_end=p_end,
                                     days_with_data=n, band=band))
            p_start = p_end + timedelta(days=1)
    return RtmPublic(patient_id=patient.id, monitoring_start=start, days=days, periods=periods)


CSV_COLUMNS = ("session_id", "started_at", "day", "exercise_id", "angle_name", "side", "view",
               "sets", "reps", "partial_reps", "rom_best_deg", "rom_median_deg", "hold_s",
               "findings_info", "findings_caution", "findings_stop", "pain_before",
               "pain_after", "duration_s", "stopped_early", "prescription_version",
               "app_version")


def _cell(value: object) -> object:
    # Spreadsheet formula injection: text starting with = + - @ is quoted as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value


def export_csv(db: Session, patient: Patient, *, start: date | None = None,
               end: date | None = None) -> Iterator[str]:
    """One CSV row per session and exercise, oldest first, streamed in chunks."""
    q = (select(SessionExercise, ExerciseSession)
         .join(ExerciseSession, ExerciseSession.id == SessionExercise.session_id)
         .where(SessionExercise.patient_id == patient.id))
    lo, hi = _day_bounds(patient, start, end)
    if lo:
        q = q.where(SessionExercise.started_at >= lo)
    if hi:
        q = q.where(SessionExercise.started_at < hi)
    q = q.order_by(SessionExercise.started_at, SessionExercise.position)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for n, (e, s) in enumerate(db.execute(q)):
        writer.writerow([_cell(v) for v in (
            e.session_id, s.started_at.isoformat(), e.day.isoformat(), e.exercise_id,
            e.angle_name, e.side, e.view, e.sets_done, e.reps_done, e.partial_reps,
            e.rom_best_deg, e.rom_median_deg, e.hold_s, e.findings_info, e.findings_caution,
            e.findings_stop, s.pain_before, s.pain_after, s.duration_s, s.stopped_early,
            s.prescription_version, s.app_version)])
        if n % 500 == 499:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()
