"""What the server holds about one patient, read in one place: for the FHIR bundle and for the
patient's own data export (JSON + FHIR), which are read-only.

The JSON export is everything stored about the patient: the patient as the clinic entered
them, every prescription version, every session record exactly as uploaded, the RTM ledger,
the devices (names and dates; never token digests), the audit entries about the patient, and
the rows of any other table that belongs to the patient (found from the schema, see
:mod:`hepvision.server.data.patient_rows`), so a table added later is not forgotten.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from hepvision import __version__
from hepvision.server.data import audit
from hepvision.server.data.patient_rows import patient_selections
from hepvision.server.models import (
    AuditEntry,
    AuthToken,
    ExerciseSession,
    Patient,
    Prescription,
    SessionExercise,
    TransmissionDay,
)
from hepvision.server.schemas import AuditPublic, PatientPublic

EXPORT_FORMAT = "hepvision-patient-export"
EXPORT_VERSION = 1
#: Tables the JSON export writes in its own sections (the rest go under ``other_tables``).
_OWN_SECTIONS = frozenset({"patients", "prescriptions", "sessions", "session_exercises",
                           "transmission_days", "auth_tokens", "enrolment_codes"})
#: Columns never exported: secrets, even hashed.
_SECRET_COLUMNS = frozenset({"token_digest", "code_digest", "password_hash"})


@dataclass(frozen=True, slots=True)
class PatientRecords:
    """One patient's stored data, oldest first.

    ``exercises``: each session's per-exercise summaries, by session id, in record order.
    ``devices``: the patient's device tokens (enrolled phones and computers).
    """

    patient: Patient
    prescriptions: list[Prescription]
    sessions: list[ExerciseSession]
    exercises: dict[uuid.UUID, list[SessionExercise]]
    devices: list[AuthToken]


def load_records(db: Session, patient: Patient) -> PatientRecords:
    """Read everything the FHIR bundle needs, in four queries."""
    prescriptions = list(db.scalars(select(Prescription)
                                    .where(Prescription.patient_id == patient.id)
                                    .order_by(Prescription.version)))
    sessions = list(db.scalars(select(ExerciseSession)
                               .where(ExerciseSession.patient_id == patient.id)
                               .order_by(ExerciseSession.started_at, ExerciseSession.id)))
    exercises: dict[uuid.UUID, list[SessionExercise]] = {s.id: [] for s in sessions}
    for row in db.scalars(select(SessionExercise)
                          .where(SessionExercise.patient_id == patient.id)
                          .order_by(SessionExercise.started_at, SessionExercise.position)):
        exercises[row.session_id].append(row)
    devices = list(db.scalars(select(AuthToken)
                              .where(AuthToken.patient_id == patient.id,
                                     AuthToken.kind == "device")
                              .order_by(AuthToken.id)))
    return PatientRecords(patient, prescriptions, sessions, exercises, devices)


def _json_value(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _other_tables(db: Session, patient_id: int) -> dict[str, list[dict[str, object]]]:
    out: dict[str, list[dict[str, object]]] = {}
    for sel in patient_selections(patient_id):
        if sel.table.name in _OWN_SECTIONS:
            continue
        table: Table = sel.table
        columns = [c for c in table.c if c.name not in _SECRET_COLUMNS]
        rows = db.execute(select(*columns).where(sel.where)).mappings()
        out[table.name] = [{k: _json_value(v) for k, v in row.items()} for row in rows]
    return out


def json_export(db: Session, records: PatientRecords, *, fhir_bundle: dict[str, Any],
                exported_at: datetime) -> dict[str, Any]:
    """The patient's data export: every stored record about them, plus the FHIR bundle."""
    patient = records.patient
    days = db.scalars(select(TransmissionDay).where(TransmissionDay.patient_id == patient.id)
                      .order_by(TransmissionDay.day, TransmissionDay.id))
    entries = db.scalars(select(AuditEntry).where(AuditEntry.patient_id == patient.id)
                         .order_by(AuditEntry.id))
    return {
        "format": EXPORT_FORMAT, "format_version": EXPORT_VERSION,
        "exported_at": exported_at.isoformat(), "server_version": __version__,
        "patient": PatientPublic.model_validate(patient).model_dump(mode="json"),
        "prescriptions": [{"version": p.version, "created_at": p.created_at.isoformat(),
                           **p.body} for p in records.prescriptions],
        "sessions": [{"received_at": s.received_at.isoformat(), "day": s.day.isoformat(),
                      "record": s.record} for s in records.sessions],
        "transmission_days": [{"day": d.day.isoformat(), "source": d.source,
                               "session_id": str(d.session_id),
                               "received_at": d.received_at.isoformat()} for d in days],
        "devices": [{"label": d.label, "enrolled_at": d.created_at.isoformat(),
                     "revoked_at": d.revoked_at.isoformat() if d.revoked_at else None}
                    for d in records.devices],
        "audit": [AuditPublic.model_validate(e).model_dump(mode="json") for e in entries],
        "other_tables": _other_tables(db, patient.id),
        "fhir": fhir_bundle,
    }


def log_export(db: Session, *, actor_kind: str, actor_id: int, patient: Patient,
               therapist_id: int | None, what: str) -> None:
    """Audit an export (``fhir`` or ``export``) and commit."""
    audit.record(db, actor_kind=actor_kind, actor_id=actor_id, action="export", resource=what,
                 resource_id=patient.id, patient_id=patient.id, therapist_id=therapist_id)
    db.commit()
