"""Versioned prescriptions: therapists write; the patient's own device reads the current one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status

from hepvision.server.api.deps import (
    OwnedPatientDep,
    PrincipalDep,
    ReadablePatientDep,
    SessionDep,
    TherapistDep,
)
from hepvision.server.api.responses import unprocessable
from hepvision.server.data import audit, prescriptions
from hepvision.server.errors import InvalidInputError, NotFoundError
from hepvision.server.schemas import PrescriptionCreate, PrescriptionPublic

router = APIRouter(prefix="/patients/{patient_id}/prescriptions", tags=["prescriptions"])


@router.get("", response_model=list[PrescriptionPublic])
def list_versions(patient: OwnedPatientDep, therapist: TherapistDep,
                  db: SessionDep) -> list[PrescriptionPublic]:
    rows = [prescriptions.to_public(p) for p in prescriptions.history(db, patient.id)]
    audit.read(db, actor_kind="therapist", actor_id=therapist.id, resource="prescription",
               patient_id=patient.id, therapist_id=therapist.id, detail="history")
    return rows


@router.post("", response_model=PrescriptionPublic, status_code=status.HTTP_201_CREATED)
def create_version(body: PrescriptionCreate, patient: OwnedPatientDep,
                   therapist: TherapistDep, db: SessionDep,
                   request: Request) -> PrescriptionPublic:
    """Add the next version of the patient's program (template ids are checked)."""
    try:
        row = prescriptions.create_prescription(db, therapist, patient, body,
                                                request.app.state.template_ids())
    except InvalidInputError as exc:
        raise unprocessable(str(exc), ("body", "exercises")) from None
    return prescriptions.to_public(row)


@router.get("/current", response_model=PrescriptionPublic)
def current(patient: ReadablePatientDep, principal: PrincipalDep,
            db: SessionDep) -> PrescriptionPublic:
    """The newest version; readable by the therapist and by the patient's own device."""
    try:
        out = prescriptions.to_public(prescriptions.current(db, patient.id))
    except NotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    audit.read(db, actor_kind=principal.kind, actor_id=principal.actor_id,
               resource="prescription", resource_id=out.version, patient_id=patient.id,
               therapist_id=principal.therapist.id if principal.therapist else None)
    return out


@router.get("/{version}", response_model=PrescriptionPublic)
def get_version(version: Annotated[int, Path(ge=1, le=2**31 - 1)], patient: OwnedPatientDep,
                therapist: TherapistDep, db: SessionDep) -> PrescriptionPublic:
    try:
        out = prescriptions.to_public(prescriptions.get_version(db, patient.id, version))
    except NotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    audit.read(db, actor_kind="therapist", actor_id=therapist.id, resource="prescription",
               resource_id=version, patient_id=patient.id, therapist_id=therapist.id)
    return out
