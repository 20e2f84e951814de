"""The patient's rights and reminders: data export, erasure, and the calendar feed.

- ``GET /patients/{id}/export``: everything stored about the patient (JSON, with the FHIR
  bundle inside); the therapist or the patient's own device; audited.
- ``DELETE /patients/{id}/data``: erase the patient (therapist only; audited without personal
  data; see :mod:`hepvision.server.data.erasure`).
- ``POST`` / ``DELETE /patients/{id}/calendar-feed``: issue (rotate) or stop the feed URL.
- ``GET /patients/{id}/calendar.ics?feed=TOKEN``: the feed a phone calendar subscribes to;
  without ``feed``, the therapist's or the patient's device bearer token works too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials

from hepvision.server import ics, schedule
from hepvision.server.api import deps
from hepvision.server.api.deps import (
    OwnedPatientDep,
    PatientIdPath,
    PrincipalDep,
    ReadablePatientDep,
    SecurityDep,
    SessionDep,
    TherapistDep,
)
from hepvision.server.data import audit, calendar_feed, erasure, export, prescriptions
from hepvision.server.data.accounts import Principal
from hepvision.server.errors import AuthError, NotFoundError
from hepvision.server.fhir import bundle_for
from hepvision.server.models import Patient, Prescription, utcnow
from hepvision.server.record_schemas import CalendarFeedPublic, ErasurePublic, FeedsRevoked
from hepvision.server.schemas import PrescriptionCreate

router = APIRouter(prefix="/patients/{patient_id}", tags=["patient data"])

FeedQ = Annotated[str | None, Query(min_length=8, max_length=100,
                                    description="the token of the feed URL "
                                    "(POST /calendar-feed)")]
#: The same optional bearer scheme as every other route (one security scheme in OpenAPI).
BearerCreds = Annotated[HTTPAuthorizationCredentials | None, Depends(deps._bearer)]


def _therapist_id(principal: Principal) -> int | None:
    return principal.therapist.id if principal.therapist else None


@router.get("/export", response_class=JSONResponse,
            responses={200: {"content": {"application/json": {}},
                             "description": "the patient's data (format in the README)"}})
def data_export(patient: ReadablePatientDep, principal: PrincipalDep, db: SessionDep,
                sec: SecurityDep) -> JSONResponse:
    """Everything stored about the patient, with the FHIR bundle (the patient's right of
    access: their therapist or their own device may ask)."""
    now = utcnow()
    records = export.load_records(db, patient)
    body = export.json_export(db, records, fhir_bundle=bundle_for(records, sec, now),
                              exported_at=now)
    export.log_export(db, actor_kind=principal.kind, actor_id=principal.actor_id,
                      patient=patient, therapist_id=_therapist_id(principal),
                      what="patient_export")
    return JSONResponse(body, headers={
        "Content-Disposition": f'attachment; filename="patient-{patient.id}-export.json"'})


@router.delete("/data", response_model=ErasurePublic)
def erase(patient: OwnedPatientDep, therapist: TherapistDep, db: SessionDep) -> ErasurePublic:
    """Erase the patient and all their data (on the patient's request); cannot be undone.
    Export first (``GET /export``) if the clinic must keep a copy elsewhere."""
    receipt = erasure.erase_patient(db, patient, therapist=therapist)
    return ErasurePublic.model_validate(receipt)


@router.post("/calendar-feed", response_model=CalendarFeedPublic,
             status_code=status.HTTP_201_CREATED)
def new_calendar_feed(patient: ReadablePatientDep, principal: PrincipalDep, db: SessionDep,
                      sec: SecurityDep, request: Request) -> CalendarFeedPublic:
    """A new feed URL for the patient's phone calendar; the previous URL stops working."""
    token = calendar_feed.issue(db, sec, patient, actor_kind=principal.kind,
                                actor_id=principal.actor_id,
                                therapist_id=_therapist_id(principal))
    url = f"{request.url_for('calendar', patient_id=patient.id)}?feed={token}"
    return CalendarFeedPublic(url=url, webcal_url="webcal://" + url.split("://", 1)[1],
                              token=token)


@router.delete("/calendar-feed", response_model=FeedsRevoked)
def stop_calendar_feed(patient: ReadablePatientDep, principal: PrincipalDep,
                       db: SessionDep) -> FeedsRevoked:
    """Stop the patient's feed (its URL answers 403 from now on)."""
    return FeedsRevoked(revoked=calendar_feed.revoke(
        db, patient, actor_kind=principal.kind, actor_id=principal.actor_id,
        therapist_id=_therapist_id(principal)))


def _feed_reader(patient_id: int, feed: str | None, creds: HTTPAuthorizationCredentials | None,
                 db: SessionDep, sec: SecurityDep) -> tuple[Patient, Principal | None]:
    if feed is None:
        principal = deps.get_principal(db, sec, creds)
        return deps.get_readable_patient(patient_id, principal, db), principal
    try:
        return calendar_feed.patient_of(db, sec, patient_id, feed), None
    except AuthError as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None


@router.get("/calendar.ics", name="calendar", response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}})
def calendar(patient_id: PatientIdPath, db: SessionDep, sec: SecurityDep,
             creds: BearerCreds, feed: FeedQ = None) -> Response:
    """The prescribed sessions as an iCalendar feed (README: how times and reminders work)."""
    patient, principal = _feed_reader(patient_id, feed, creds, db, sec)
    current: Prescription | None
    try:
        current = prescriptions.current(db, patient.id)
    except NotFoundError:
        current = None
    ids = ([e.exercise_id for e in PrescriptionCreate.model_validate(current.body).exercises]
           if current is not None else [])
    body = ics.render_feed(patient, current, schedule.template_names(ids),
                           uid_seed=sec.digest("calendar-uid", str(patient.id))[:16])
    audit.record(db, actor_kind=principal.kind if principal else "calendar",
                 actor_id=principal.actor_id if principal else None, action="read",
                 resource="calendar_feed", patient_id=patient.id,
                 therapist_id=_therapist_id(principal) if principal else None)
    db.commit()
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="exercises.ics"'})
