"""The patient's FHIR R4 Bundle, for the clinic's EMR (therapist only; audited)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from hepvision.server.api.deps import OwnedPatientDep, SecurityDep, SessionDep, TherapistDep
from hepvision.server.data import export
from hepvision.server.fhir import bundle_for
from hepvision.server.models import utcnow

router = APIRouter(prefix="/patients/{patient_id}", tags=["fhir"])

FHIR_JSON = "application/fhir+json"


@router.get("/fhir", response_class=JSONResponse, responses={200: {
    "content": {FHIR_JSON: {}},
    "description": "A FHIR R4 Bundle (type collection): Patient, CarePlan and ServiceRequests "
    "per prescription version, Device, and each session's Observations (README: codes)."}})
def fhir_bundle(patient: OwnedPatientDep, therapist: TherapistDep, db: SessionDep,
                sec: SecurityDep) -> JSONResponse:
    """Everything recorded about the patient as one FHIR R4 Bundle."""
    bundle = bundle_for(export.load_records(db, patient), sec, utcnow())
    export.log_export(db, actor_kind="therapist", actor_id=therapist.id, patient=patient,
                      therapist_id=therapist.id, what="fhir_bundle")
    return JSONResponse(bundle, media_type=FHIR_JSON, headers={
        "Content-Disposition": f'attachment; filename="patient-{patient.id}-fhir.json"'})
