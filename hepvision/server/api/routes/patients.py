"""Patients of the calling therapist, their enrolment codes and devices."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, status

from hepvision.server.api.deps import (
    OwnedPatientDep,
    SecurityDep,
    SessionDep,
    SettingsDep,
    TherapistDep,
)
from hepvision.server.data import accounts, audit
from hepvision.server.schemas import (
    DevicesRevoked,
    EnrolmentCodePublic,
    PatientCreate,
    PatientCreated,
    PatientPublic,
    PatientUpdate,
)

router = APIRouter(prefix="/patients", tags=["patients"])


@router.get("", response_model=list[PatientPublic])
def list_patients(therapist: TherapistDep, db: SessionDep) -> list[PatientPublic]:
    rows = [PatientPublic.model_validate(p) for p in accounts.list_patients(db, therapist)]
    audit.read(db, actor_kind="therapist", actor_id=therapist.id, resource="patient_list",
               patient_id=None, therapist_id=therapist.id)
    return rows


@router.post("", response_model=PatientCreated, status_code=status.HTTP_201_CREATED)
def create_patient(body: PatientCreate, therapist: TherapistDep, db: SessionDep,
                   sec: SecurityDep, settings: SettingsDep) -> PatientCreated:
    """Enrol a patient; the answer carries the one-time code for the patient's device."""
    patient, code = accounts.create_patient(
        db, sec, therapist, body, code_lifetime=timedelta(hours=settings.enrolment_code_hours))
    assert code.expires_at is not None
    return PatientCreated(**PatientPublic.model_validate(patient).model_dump(),
                          enrolment=EnrolmentCodePublic(code=code.token,
                                                        expires_at=code.expires_at))


@router.get("/{patient_id}", response_model=PatientPublic)
def get_patient(patient: OwnedPatientDep, therapist: TherapistDep,
                db: SessionDep) -> PatientPublic:
    out = PatientPublic.model_validate(patient)
    audit.read(db, actor_kind="therapist", actor_id=therapist.id, resource="patient",
               resource_id=patient.id, patient_id=patient.id, therapist_id=therapist.id)
    return out


@router.patch("/{patient_id}", response_model=PatientPublic)
def update_patient(body: PatientUpdate, patient: OwnedPatientDep, therapist: TherapistDep,
                   db: SessionDep) -> PatientPublic:
    return PatientPublic.model_validate(accounts.update_patient(db, therapist, patient, body))


@router.post("/{patient_id}/enrolment-code", response_model=EnrolmentCodePublic,
             status_code=status.HTTP_201_CREATED)
def new_enrolment_code(patient: OwnedPatientDep, therapist: TherapistDep, db: SessionDep,
                       sec: SecurityDep, settings: SettingsDep) -> EnrolmentCodePublic:
    """A fresh one-time code (earlier unused codes stop working)."""
    code = accounts.new_enrolment_code(
        db, sec, therapist, patient, lifetime=timedelta(hours=settings.enrolment_code_hours))
    assert code.expires_at is not None
    return EnrolmentCodePublic(code=code.token, expires_at=code.expires_at)


@router.post("/{patient_id}/devices/revoke", response_model=DevicesRevoked)
def revoke_devices(patient: OwnedPatientDep, therapist: TherapistDep,
                   db: SessionDep) -> DevicesRevoked:
    """Revoke every device token of the patient (lost phone, ended care)."""
    return DevicesRevoked(revoked=accounts.revoke_devices(db, therapist, patient))
