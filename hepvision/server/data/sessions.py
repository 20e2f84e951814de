"""Session ingest (idempotent by client session id, all-or-nothing) and session listing."""

from __future__ import annotations

import hashlib
import json
import statistics
import uuid
from collections import Counter
from collections.abc import Collection
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hepvision.server.data import audit, prescriptions
from hepvision.server.data.session_checks import CLOCK_SLACK, checked_record
from hepvision.server.errors import ConflictError, InvalidInputError, NotFoundError
from hepvision.server.models import (
    ExerciseSession,
    Patient,
    SessionExercise,
    TransmissionDay,
)
from hepvision.vocabulary import Severity
from hepvision.wire.session import ExerciseRecord, SessionRecord

LEDGER_SOURCE = "camera-session"


def record_digest(record: SessionRecord) -> str:
    """SHA-256 of the record's canonical JSON: equal records give equal digests."""
    canonical = json.dumps(record.model_dump(mode="json"), sort_keys=True,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def ingest(db: Session, patient: Patient, record: SessionRecord,
           template_ids: Collection[str] | None = None, *,
           backdate: timedelta = CLOCK_SLACK) -> bool:
    """Store ``record`` for ``patient``; ``True`` if stored now, ``False`` if already stored.

    The record is first checked and given the server's finding severities
    (:func:`~hepvision.server.data.session_checks.checked_record`; ``template_ids``: the
    exercise library, ``None`` for any id; ``backdate``: how long before enrolment a session
    may start). The session, its per-exercise summaries, the RTM
    ledger row and the audit entry are written in one transaction. A session id already used by
    another patient, or reused with different content, is a :class:`ConflictError`; nothing is
    written then.
    """
    record = checked_record(db, patient, record, template_ids, backdate=backdate)
    digest = record_digest(record)
    existing = _existing(db, record, patient.id, digest)
    if existing is not None:
        return False
    if record.prescription_version is not None and not prescriptions.exists(
            db, patient.id, record.prescription_version):
        raise InvalidInputError(
            f"prescription version {record.prescription_version} does not exist")
    zone = ZoneInfo(patient.timezone)
    day = record.started_at.astimezone(zone).date()
    row = ExerciseSession(
        id=record.session_id, patient_id=patient.id,
        prescription_version=record.prescription_version, started_at=record.started_at,
        ended_at=record.ended_at, day=day, duration_s=record.duration_s,
        pain_before=record.pain_before, pain_after=record.pain_after,
        stopped_early=record.stopped_early, total_reps=record.total_reps,
        app_version=record.app_version, record_digest=digest,
        record=record.model_dump(mode="json"))
    db.add(row)
    for position, exercise in enumerate(record.exercises):
        db.add(_summary(exercise, position, record, patient.id, day))
    db.add(TransmissionDay(patient_id=patient.id, day=day, source=LEDGER_SOURCE,
                           session_id=record.session_id))
    audit.record(db, actor_kind="device", actor_id=patient.id, action="create",
                 resource="session", resource_id=record.session_id, patient_id=patient.id)
    try:
        db.commit()
    except IntegrityError:
        # A concurrent upload of the same id won the race: answer like a retry.
        db.rollback()
        if _existing(db, record, patient.id, digest) is None:
            raise
        return False
    return True


def _existing(db: Session, record: SessionRecord, patient_id: int,
              digest: str) -> ExerciseSession | None:
    row = db.scalar(select(ExerciseSession).where(ExerciseSession.id == record.session_id))
    if row is None:
        return None
    if row.patient_id != patient_id or (row.record_digest != digest
                                        and not _same_record(row.record, record)):
        raise ConflictError("this session id is already stored with different content")
    return row


def _same_record(stored: dict[str, Any], record: SessionRecord) -> bool:
    """True when ``stored`` (a record kept by an earlier server version) and ``record`` say
    the same thing under today's schema: fields added since then take their defaults, so a
    device retrying an upload from before a schema addition is a retry, not a conflict."""
    try:
        before = SessionRecord.model_validate(stored)
    except ValidationError:
        return False
    return before.model_dump(mode="json", exclude_defaults=True) == \
        record.model_dump(mode="json", exclude_defaults=True)


def _summary(exercise: ExerciseRecord, position: int, record: SessionRecord, patient_id: int,
             day: object) -> SessionExercise:
    peaks = [r.rom_peak_deg for s in exercise.sets for r in s.repetitions
             if r.rom_peak_deg is not None]
    findings = [f for s in exercise.sets for f in s.findings]
    severity = Counter(f.severity for f in findings)
    return SessionExercise(
        session_id=record.session_id, patient_id=patient_id, started_at=record.started_at,
        day=day, position=position, exercise_id=exercise.exercise_id,
        angle_name=exercise.angle_name, side=exercise.side, view=exercise.view,
        sets_done=len(exercise.sets), reps_done=sum(s.reps for s in exercise.sets),
        partial_reps=sum(s.partial_reps for s in exercise.sets),
        rom_best_deg=max(peaks) if peaks else None,
        rom_median_deg=float(statistics.median(peaks)) if peaks else None,
        hold_s=float(sum(h.hold_s for s in exercise.sets for h in s.holds)),
        findings_info=severity[Severity.INFO], findings_caution=severity[Severity.CAUTION],
        findings_stop=severity[Severity.STOP],
        findings_by_rule=dict(Counter(f.rule_id for f in findings)))


def list_sessions(db: Session, patient_id: int, *, limit: int = 100,
                  offset: int = 0) -> list[tuple[ExerciseSession, list[str]]]:
    """Newest first, with the exercise ids of each session."""
    rows = list(db.scalars(select(ExerciseSession)
                           .where(ExerciseSession.patient_id == patient_id)
                           .order_by(ExerciseSession.started_at.desc())
                           .limit(limit).offset(offset)))
    ids = [r.id for r in rows]
    exercises: dict[uuid.UUID, list[str]] = {i: [] for i in ids}
    if ids:
        for sid, ex in db.execute(select(SessionExercise.session_id, SessionExercise.exercise_id)
                                  .where(SessionExercise.session_id.in_(ids))
                                  .order_by(SessionExercise.position)):
            exercises[sid].append(ex)
    return [(r, exercises[r.id]) for r in rows]


def get_session(db: Session, patient_id: int, session_id: uuid.UUID) -> ExerciseSession:
    row = db.get(ExerciseSession, session_id)
    if row is None or row.patient_id != patient_id:
        raise NotFoundError("session not found")
    return row
