"""The audit log: who read or changed what."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hepvision.server.models import AuditEntry, Patient


def record(db: Session, *, actor_kind: str, actor_id: int | None, action: str, resource: str,
           resource_id: object = None, patient_id: int | None = None,
           therapist_id: int | None = None, detail: str = "") -> None:
    """Add one entry to the current transaction (committed with the change it describes)."""
    db.add(AuditEntry(actor_kind=actor_kind, actor_id=actor_id, action=action,
                      resource=resource,
                      resource_id=None if resource_id is None else str(resource_id)[:64],
                      patient_id=patient_id, therapist_id=therapist_id, detail=detail[:200]))


def entries_for_therapist(db: Session, therapist_id: int, *, limit: int = 200,
                          patient_id: int | None = None) -> list[AuditEntry]:
    """Entries by this therapist or about their patients, newest first."""
    own_patients = select(Patient.id).where(Patient.therapist_id == therapist_id)
    query = select(AuditEntry).where(or_(AuditEntry.therapist_id == therapist_id,
                                         AuditEntry.patient_id.in_(own_patients)))
    if patient_id is not None:
        query = query.where(AuditEntry.patient_id == patient_id)
    return list(db.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))


def read(db: Session, *, actor_kind: str, actor_id: int, resource: str,
         patient_id: int | None, resource_id: object = None, therapist_id: int | None = None,
         detail: str = "") -> None:
    """Log a read and commit it."""
    record(db, actor_kind=actor_kind, actor_id=actor_id, action="read", resource=resource,
           resource_id=resource_id, patient_id=patient_id, therapist_id=therapist_id,
           detail=detail)
    db.commit()
