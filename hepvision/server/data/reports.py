"""What the therapist asks: ROM trend, adherence, pain, findings, CSV.

Alerts are :mod:`.alerts`, the RTM ledger :mod:`.rtm`.
"""

from __future__ import annotations

import csv
import io
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
    utcnow,
)
from hepvision.server.schemas import (
    AdherenceRow,
    FindingCounts,
    PainPoint,
    PrescribedExercise,
    RomPoint,
)

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
            # extra reps do not make up for missed ones: at most 100 %
            adherence_pct=round(100.0 * min(r_done, r_exp) / r_exp, 1) if r_exp > 0 else None))
    return rows


CSV_COLUMNS = ("session_id", "started_at", "day", "exercise_id", "angle_name", "side", "view",
               "sets", "reps", "partial_reps", "rom_best_deg", "rom_median_deg", "hold_s",
               "findings_info", "findings_caution", "findings_stop", "pain_before",
               "pain_after", "duration_s", "stopped_early", "prescription_version",
               "app_version")


def csv_cell(value: object) -> object:
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
        writer.writerow([csv_cell(v) for v in (
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
