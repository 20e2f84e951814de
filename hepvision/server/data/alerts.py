"""Alerts a therapist can close: one implementation for the API, the patient page and list.

Rules, for a patient on their local day ``today`` (thresholds per patient, see
:func:`rules_of`):

- ``pain``: a session in the last 14 days (today included) with pain before or after at or
  above the patient's pain stop. One alert naming the newest such session; ``high`` at 9-10.
  An occurrence begins when such a session is received.
- ``stop_finding`` (per exercise): a session in the last 14 days with a stop-severity form
  finding; an occurrence begins when such a session is received.
- ``rom_drop`` (per exercise and angle): the median of the sessions' best peak ROM in the 7
  days up to the day fell by at least the threshold against the 7 days before (the rule of
  :func:`rom_drops`). An occurrence begins on the first day of the unbroken run of days on
  which the rule held, looked for at most ``ROM_DROP_LOOKBACK_DAYS`` back.
- ``missed``: no session for ``missed_days`` days (none since enrolment: counted from it); an
  occurrence begins on the day the count is reached.

Acknowledging an alert (a note is required; audited) hides it while the occurrence lasts: an
alert is acknowledged when the newest acknowledgement of its kind and subject was made at or
after its occurrence began. When the condition recurs (a new painful session, a ROM drop
after days without one, missed days after a session) the alert is back.

:func:`alerts_for` answers for many patients in six queries, whatever their number.
"""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from hepvision.server.data import audit
from hepvision.server.data.alert_rules import (
    AlertDefaults,
    AlertRules,
    current_prescriptions,
    rules_of,
)
from hepvision.server.errors import NotFoundError
from hepvision.server.models import (
    AlertAck,
    ExerciseSession,
    Patient,
    SessionExercise,
    Therapist,
    utcnow,
)
from hepvision.server.schemas import Alert, AlertAckCreate, AlertAckPublic

#: Window of the event alerts (pain, stop findings), days, today included.
ALERT_WINDOW_DAYS = 14
#: How far back the start of a ROM drop is looked for (days).
ROM_DROP_LOOKBACK_DAYS = 28
#: Days of session rows the rules read: the lookback plus the two weeks a ROM drop compares.
ROWS_DAYS = ROM_DROP_LOOKBACK_DAYS + 14

Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One exercise of one session (or a session without exercises), as the rules read it.

    ``session_key``: the session id as text (any spelling ``uuid.UUID`` reads).
    """

    session_key: str
    day: date
    pain_before: int | None
    pain_after: int | None
    exercise_id: str
    angle_name: str
    rom_best_deg: float | None
    findings_stop: int

    @property
    def worst_pain(self) -> int:
        return max(p for p in (self.pain_before, self.pain_after, -1) if p is not None)


def event_sessions(rows: Sequence[AlertRow], today: date, rules: AlertRules) -> set[str]:
    """The sessions an event alert (pain, stop finding) would name: those whose receipt time
    :func:`evaluate` needs."""
    first = today - timedelta(days=ALERT_WINDOW_DAYS - 1)
    return {r.session_key for r in rows if first <= r.day <= today
            and (r.worst_pain >= rules.pain_stop_nrs or r.findings_stop)}


def rom_drops(this_week: dict[Key, list[float]], last_week: dict[Key, list[float]],
              rom_drop_deg: float) -> list[tuple[Key, float, str]]:
    """The ROM-regression rule: for each (exercise, angle) seen in both weeks, the drop of
    the median best ROM from last week to this week when it is at least ``rom_drop_deg``,
    with the alert's message."""
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


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, zone).astimezone(UTC)


def _event_alerts(rows: Sequence[AlertRow], today: date, rules: AlertRules,
                  received: Mapping[str, datetime]) -> list[Alert]:
    first = today - timedelta(days=ALERT_WINDOW_DAYS - 1)
    painful: dict[str, AlertRow] = {}
    stops: dict[str, list[AlertRow]] = defaultdict(list)
    for r in rows:
        if not first <= r.day <= today:
            continue
        if r.worst_pain >= rules.pain_stop_nrs:
            painful[r.session_key] = r
        if r.findings_stop:
            stops[r.exercise_id].append(r)
    found = []
    if painful:
        newest = max(painful.values(), key=lambda r: (received[r.session_key], r.day))
        worst = max(r.worst_pain for r in painful.values())
        n = len(painful)
        found.append(Alert(
            kind="pain", severity="high" if worst >= 9 else "warning", day=newest.day,
            since=received[newest.session_key], session_id=uuid.UUID(newest.session_key),
            value=float(newest.worst_pain),
            message=f"pain {newest.worst_pain}/10 reported (stop {rules.pain_stop_nrs}); "
                    f"{n} session{'s' if n != 1 else ''} at or above the stop in "
                    f"{ALERT_WINDOW_DAYS} days"))
    for exercise_id, hits in sorted(stops.items()):
        newest = max(hits, key=lambda r: (received[r.session_key], r.day))
        total = sum(r.findings_stop for r in hits)
        found.append(Alert(
            kind="stop_finding", subject=exercise_id, severity="high", day=newest.day,
            since=received[newest.session_key], session_id=uuid.UUID(newest.session_key),
            exercise_id=exercise_id, value=float(total),
            message=f"{total} stop finding(s) in {exercise_id}"))
    return found


def _rom_drop_on(best: dict[Key, dict[date, list[float]]], day: date,
                 threshold: float) -> dict[Key, tuple[float, str]]:
    this_week: dict[Key, list[float]] = defaultdict(list)
    last_week: dict[Key, list[float]] = defaultdict(list)
    for key, by_day in best.items():
        for back in range(14):
            values = by_day.get(day - timedelta(days=back))
            if values:
                (this_week if back < 7 else last_week)[key].extend(values)
    return {key: (drop, msg) for key, drop, msg in rom_drops(this_week, last_week, threshold)}


def _rom_alerts(rows: Sequence[AlertRow], today: date, zone: ZoneInfo,
                rules: AlertRules) -> list[Alert]:
    best: dict[Key, dict[date, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r.rom_best_deg is not None and r.day <= today:
            best[(r.exercise_id, r.angle_name)][r.day].append(r.rom_best_deg)
    found = []
    for key, (drop, message) in sorted(_rom_drop_on(best, today, rules.rom_drop_deg).items()):
        start = today
        one = {key: best[key]}
        for back in range(1, ROM_DROP_LOOKBACK_DAYS):
            if key not in _rom_drop_on(one, today - timedelta(days=back), rules.rom_drop_deg):
                break
            start = today - timedelta(days=back)
        found.append(Alert(kind="rom_drop", subject=f"{key[0]}/{key[1]}", severity="warning",
                           day=today, since=_local_midnight(start, zone), exercise_id=key[0],
                           value=round(drop, 1), message=message))
    return found


def missed_alert(last_day: date | None, created_day: date, today: date, zone: ZoneInfo,
                 missed_days: int) -> Alert | None:
    """``missed`` when the last session (or, with none, enrolment) is ``missed_days`` or more
    days ago."""
    since_day = last_day or created_day
    idle = (today - since_day).days
    if idle < missed_days:
        return None
    what = (f"no session for {idle} days" if last_day
            else f"no session since enrolment ({idle} days)")
    return Alert(kind="missed", severity="warning", day=today, message=what,
                 since=_local_midnight(since_day + timedelta(days=missed_days), zone),
                 value=float(idle))


def evaluate(rows: Sequence[AlertRow], *, today: date, zone: ZoneInfo, rules: AlertRules,
             last_day: date | None, created_day: date,
             received: Mapping[str, datetime]) -> list[Alert]:
    """Every alert of one patient on ``today`` (acknowledged or not), by day and kind.

    ``received``: when each session of :func:`event_sessions` reached the server."""
    found = (_event_alerts(rows, today, rules, received)
             + _rom_alerts(rows, today, zone, rules))
    missed = missed_alert(last_day, created_day, today, zone, rules.missed_days)
    if missed is not None:
        found.append(missed)
    found.sort(key=lambda a: (a.day, a.kind, a.subject))
    return found


def ack_public(a: AlertAck) -> AlertAckPublic:
    return AlertAckPublic.model_validate(a)


def with_acks(found: Sequence[Alert], acks: dict[Key, AlertAck]) -> list[Alert]:
    """``found`` with ``acknowledged`` set where the newest acknowledgement covers it."""
    out = []
    for a in found:
        ack = acks.get((a.kind, a.subject))
        if ack is not None and ack.at >= a.since:
            a = a.model_copy(update={"acknowledged": ack_public(ack)})
        out.append(a)
    return out


def _rows(db: Session, ids: list[int], lo: datetime) -> dict[int, list[AlertRow]]:
    # Core rows, the id read as text: ~16k rows for 200 patients, parsed only where needed.
    out: dict[int, list[AlertRow]] = defaultdict(list)
    query = (select(ExerciseSession.patient_id, type_coerce(ExerciseSession.id, String),
                    ExerciseSession.day, ExerciseSession.pain_before, ExerciseSession.pain_after,
                    SessionExercise.exercise_id, SessionExercise.angle_name,
                    SessionExercise.rom_best_deg, SessionExercise.findings_stop)
             .outerjoin(SessionExercise, SessionExercise.session_id == ExerciseSession.id)
             .where(ExerciseSession.patient_id.in_(ids), ExerciseSession.started_at >= lo))
    for r in db.connection().execute(query):
        out[r[0]].append(AlertRow(str(r[1]), r[2], r[3], r[4], r[5] or "", r[6] or "", r[7],
                                  r[8] or 0))
    return out


def _received(db: Session, keys: set[str]) -> dict[str, datetime]:
    """When each session in ``keys`` reached the server (keyed as given)."""
    ids = {uuid.UUID(k): k for k in keys}
    if not ids:
        return {}
    return {ids[sid]: at for sid, at in db.execute(
        select(ExerciseSession.id, ExerciseSession.received_at)
        .where(ExerciseSession.id.in_(list(ids))))}


def _latest_acks(db: Session, ids: list[int]) -> dict[int, dict[Key, AlertAck]]:
    out: dict[int, dict[Key, AlertAck]] = defaultdict(dict)
    for a in db.scalars(select(AlertAck).where(AlertAck.patient_id.in_(ids))
                        .order_by(AlertAck.at, AlertAck.id)):
        out[a.patient_id][(a.kind, a.subject)] = a
    return out


def alerts_for(db: Session, patients: Sequence[Patient], defaults: AlertDefaults, *,
               today: dict[int, date] | None = None) -> dict[int, list[Alert]]:
    """Every alert of each patient (``acknowledged`` set on those a therapist closed)."""
    if not patients:
        return {}
    ids = [p.id for p in patients]
    zones = {p.id: ZoneInfo(p.timezone) for p in patients}
    now = utcnow()
    days = {p.id: (today or {}).get(p.id) or now.astimezone(zones[p.id]).date()
            for p in patients}
    lo = datetime.combine(min(days.values()) - timedelta(days=ROWS_DAYS + 1), time.min, UTC)
    rows = _rows(db, ids, lo)
    last = {pid: at for pid, at in db.execute(
        select(ExerciseSession.patient_id, func.max(ExerciseSession.started_at))
        .where(ExerciseSession.patient_id.in_(ids)).group_by(ExerciseSession.patient_id))}
    acks = _latest_acks(db, ids)
    prescribed = current_prescriptions(db, ids)
    rules = {p.id: rules_of(p, prescribed.get(p.id), defaults)[0] for p in patients}
    mine = {p.id: [r for r in rows.get(p.id, []) if r.day <= days[p.id]] for p in patients}
    received = _received(db, {k for p in patients
                              for k in event_sessions(mine[p.id], days[p.id], rules[p.id])})
    out = {}
    for p in patients:
        zone, t = zones[p.id], days[p.id]
        last_at = last.get(p.id)
        last_day = last_at.astimezone(zone).date() if last_at is not None else None
        if last_day is not None and last_day > t:  # evaluating a past day
            last_day = max((r.day for r in mine[p.id]), default=None)
        found = evaluate(mine[p.id], today=t, zone=zone, rules=rules[p.id], last_day=last_day,
                         created_day=p.created_at.astimezone(zone).date(), received=received)
        out[p.id] = with_acks(found, acks.get(p.id, {}))
    return out


def patient_alerts(db: Session, patient: Patient, defaults: AlertDefaults, *,
                   as_of: date | None = None) -> list[Alert]:
    """Every alert of ``patient`` (on ``as_of``, default their today)."""
    return alerts_for(db, [patient], defaults,
                      today={patient.id: as_of} if as_of else None)[patient.id]


def acknowledge(db: Session, therapist: Therapist, patient: Patient, defaults: AlertDefaults,
                data: AlertAckCreate) -> AlertAck:
    """Close the open alert ``data.kind``/``data.subject`` with a note (audited)."""
    match = next((a for a in patient_alerts(db, patient, defaults)
                  if (a.kind, a.subject) == (data.kind, data.subject)
                  and a.acknowledged is None), None)
    if match is None:
        raise NotFoundError(f"no open {data.kind} alert {data.subject!r} for this patient")
    row = AlertAck(patient_id=patient.id, kind=data.kind, subject=data.subject,
                   since=match.since, at=utcnow(), therapist_id=therapist.id,
                   note=data.note.strip(), message=match.message[:200])
    db.add(row)
    db.flush()
    audit.record(db, actor_kind="therapist", actor_id=therapist.id, action="acknowledge",
                 resource="alert", resource_id=f"{data.kind}:{data.subject}",
                 patient_id=patient.id, therapist_id=therapist.id, detail=row.note)
    db.commit()
    return row


def ack_history(db: Session, patient: Patient, *, limit: int = 20) -> list[AlertAck]:
    """The patient's acknowledgements, newest first."""
    return list(db.scalars(select(AlertAck).where(AlertAck.patient_id == patient.id)
                           .order_by(AlertAck.at.desc(), AlertAck.id.desc()).limit(limit)))
