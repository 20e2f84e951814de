"""Versioned prescriptions: each change adds a version; sessions record which one they followed."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hepvision.server.data import audit
from hepvision.server.errors import ConflictError, InvalidInputError, NotFoundError
from hepvision.server.models import Patient, Prescription, Therapist
from hepvision.server.schemas import PrescriptionCreate, PrescriptionPublic
from hepvision.templates import list_templates


def known_template_ids() -> Collection[str] | None:
    """Ids of the exercise template library (:mod:`hepvision.templates`, which imports no
    pipeline code). ``create_app`` takes another source for tests; ``None`` there means any
    id is accepted."""
    return frozenset(list_templates())


def create_prescription(db: Session, therapist: Therapist, patient: Patient,
                        data: PrescriptionCreate,
                        template_ids: Collection[str] | None = None) -> Prescription:
    """Add the next version of the patient's program."""
    if template_ids is not None:
        unknown = sorted({e.exercise_id for e in data.exercises} - set(template_ids))
        if unknown:
            raise InvalidInputError(f"unknown exercise template(s): {', '.join(unknown)}")
    latest = db.scalar(select(func.max(Prescription.version))
                       .where(Prescription.patient_id == patient.id)) or 0
    row = Prescription(patient_id=patient.id, version=latest + 1, created_by=therapist.id,
                       body=data.model_dump(mode="json"))
    db.add(row)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise ConflictError("the prescription changed meanwhile; try again") from None
    audit.record(db, actor_kind="therapist", actor_id=therapist.id, action="create",
                 resource="prescription", resource_id=row.version, patient_id=patient.id,
                 therapist_id=therapist.id)
    db.commit()
    return row


def get_version(db: Session, patient_id: int, version: int) -> Prescription:
    row = db.scalar(select(Prescription).where(Prescription.patient_id == patient_id,
                                               Prescription.version == version))
    if row is None:
        raise NotFoundError(f"prescription version {version} not found")
    return row


def current(db: Session, patient_id: int) -> Prescription:
    row = db.scalar(select(Prescription).where(Prescription.patient_id == patient_id)
                    .order_by(Prescription.version.desc()).limit(1))
    if row is None:
        raise NotFoundError("the patient has no prescription yet")
    return row


def history(db: Session, patient_id: int) -> list[Prescription]:
    return list(db.scalars(select(Prescription).where(Prescription.patient_id == patient_id)
                           .order_by(Prescription.version)))


def exists(db: Session, patient_id: int, version: int) -> bool:
    return db.scalar(select(Prescription.id).where(Prescription.patient_id == patient_id,
                                                   Prescription.version == version)) is not None


def to_public(row: Prescription) -> PrescriptionPublic:
    body: dict[str, Any] = dict(row.body)
    return PrescriptionPublic(patient_id=row.patient_id, version=row.version,
                              created_at=row.created_at, created_by=row.created_by, **body)
