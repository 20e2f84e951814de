"""What the server checks in an uploaded session record beyond its schema.

The wire schema (:mod:`hepvision.wire.session`) bounds every field; here the record is checked
against what the server knows about the patient and the exercise library:

- **Times**: ``started_at`` no earlier than a day before the patient was enrolled (the earlier
  of the patient's creation and the first monitored day) and ``ended_at`` no later than a day
  from now. A session dated years away would break the patient list, the 30-day windows and
  the RTM days.
- **Exercises**: each ``exercise_id`` is in the patient's prescription (any version) or in the
  template library.
- **Findings**: the severity of a finding is the template's severity for its rule
  (``precaution_*`` rules, the ROM caps of a template or of the patient's overrides, are
  ``stop``); a device cannot raise a tempo finding to ``stop``. A rule the template does not
  have is refused. Exercises outside the library (possible only when the server is built with
  another id source, as tests do) keep the device's severities.
- **Text**: no NUL character (PostgreSQL cannot store one).

:func:`checked_record` returns the record with the server's severities, or raises
:class:`InvalidInputError` with a one-line reason.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hepvision.errors import HepvisionError
from hepvision.server.errors import InvalidInputError
from hepvision.server.models import Patient, Prescription, utcnow
from hepvision.vocabulary import Severity
from hepvision.wire.session import ExerciseRecord, SessionRecord

#: How far before enrolment (by default) and after now a session may be dated.
CLOCK_SLACK = timedelta(days=1)
_PRECAUTION_RULE = re.compile(r"^precaution_[a-z0-9_]+_(max|min)_\d+$")


@lru_cache(maxsize=128)
def rule_severities(exercise_id: str) -> dict[str, Severity] | None:
    """The library template's rule id -> severity, or ``None`` when it is not in the library."""
    from hepvision.templates import list_templates, load_template

    if exercise_id not in list_templates():
        return None
    try:
        template = load_template(exercise_id)
    except HepvisionError:
        return None
    return {r.id: r.severity for r in template.form}


def enrolled_at(patient: Patient) -> datetime:
    """When the patient was enrolled: the earlier of creation and the first monitored day."""
    created = patient.created_at if patient.created_at.tzinfo else patient.created_at.replace(
        tzinfo=UTC)
    if patient.monitoring_start is None:
        return created
    first_day = datetime.combine(patient.monitoring_start, time(0),
                                 tzinfo=ZoneInfo(patient.timezone))
    return min(created, first_day)


def _check_times(patient: Patient, record: SessionRecord, backdate: timedelta) -> None:
    earliest = enrolled_at(patient) - backdate
    latest = utcnow() + CLOCK_SLACK
    if record.started_at < earliest:
        raise InvalidInputError(
            f"started_at {record.started_at.isoformat()} is before the patient was enrolled "
            f"({earliest.date().isoformat()} at the earliest); check the device's clock")
    if record.ended_at > latest:
        raise InvalidInputError(
            f"ended_at {record.ended_at.isoformat()} is in the future; check the device's clock")


def _prescribed_ids(db: Session, patient_id: int) -> set[str]:
    bodies = db.scalars(select(Prescription.body).where(Prescription.patient_id == patient_id))
    return {e["exercise_id"] for body in bodies for e in body.get("exercises", ())}


def _check_exercises(db: Session, patient: Patient, record: SessionRecord,
                     template_ids: Collection[str] | None) -> None:
    if template_ids is None:
        return
    unknown = sorted({e.exercise_id for e in record.exercises} - set(template_ids))
    if unknown:
        unknown = sorted(set(unknown) - _prescribed_ids(db, patient.id))
    if unknown:
        raise InvalidInputError(f"unknown exercise(s) {', '.join(unknown)}: neither prescribed "
                                "nor in the template library")


def _server_severity(exercise_id: str, rule_id: str,
                     severities: dict[str, Severity]) -> Severity:
    if rule_id in severities:
        return severities[rule_id]
    if _PRECAUTION_RULE.match(rule_id):
        return Severity.STOP
    raise InvalidInputError(f"exercise {exercise_id}: the template has no form rule {rule_id!r}")


def _with_severities(exercise: ExerciseRecord) -> ExerciseRecord:
    severities = rule_severities(exercise.exercise_id)
    if severities is None:
        return exercise
    sets = []
    for s in exercise.sets:
        findings = [f if f.severity == (sev := _server_severity(
            exercise.exercise_id, f.rule_id, severities)) else f.model_copy(
            update={"severity": sev}) for f in s.findings]
        sets.append(s.model_copy(update={"findings": findings}))
    return exercise.model_copy(update={"sets": sets})


def _check_text(record: SessionRecord) -> None:
    if "\\u0000" in record.model_dump_json():
        raise InvalidInputError("text in the record must not contain a NUL character")


def checked_record(db: Session, patient: Patient, record: SessionRecord,
                   template_ids: Collection[str] | None, *,
                   backdate: timedelta = CLOCK_SLACK) -> SessionRecord:
    """``record`` as the server stores it (see the module docstring), or InvalidInputError.

    ``backdate``: how long before enrolment a session may start (the setting
    ``session_backdate_days``; a day unless a clinic imports history)."""
    _check_text(record)
    _check_times(patient, record, backdate)
    _check_exercises(db, patient, record, template_ids)
    exercises = [_with_severities(e) for e in record.exercises]
    if exercises == list(record.exercises):
        return record
    return record.model_copy(update={"exercises": exercises})


def enrolled_day(patient: Patient) -> date:
    """The patient-local day of :func:`enrolled_at` (the dashboard's first day with a plan)."""
    return enrolled_at(patient).astimezone(ZoneInfo(patient.timezone)).date()
