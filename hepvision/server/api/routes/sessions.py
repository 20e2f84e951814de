"""Session upload (the patient's own device) and session reading (the therapist)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response, status

from hepvision.server.api.deps import (
    DevicePatientDep,
    OwnedPatientDep,
    SessionDep,
    SettingsDep,
    TemplateIdsDep,
    TherapistDep,
)
from hepvision.server.api.responses import unprocessable
from hepvision.server.api.responses import ErrorDetail
from hepvision.server.data import audit, sessions
from hepvision.server.errors import ConflictError, InvalidInputError, NotFoundError
from hepvision.server.schemas import SessionSummary
from hepvision.wire.enrolment import SessionAccepted
from hepvision.wire.session import SessionRecord

router = APIRouter(prefix="/patients/{patient_id}/sessions", tags=["sessions"])


@router.post("", response_model=SessionAccepted, status_code=status.HTTP_201_CREATED,
             responses={200: {"model": SessionAccepted, "description": "already stored"},
                        409: {"model": ErrorDetail,
                              "description": "session id reused with other content"}})
def upload_session(record: SessionRecord, patient: DevicePatientDep, db: SessionDep,
                   template_ids: TemplateIdsDep, settings: SettingsDep,
                   response: Response) -> SessionAccepted:
    """Store one session record. Idempotent by ``session_id``: a retry answers 200.

    Refused with 422 besides the schema: times outside the patient's plausible window (from
    a day before enrolment, or ``HEPVISION_SESSION_BACKDATE_DAYS``, to a day from now), an
    exercise neither prescribed nor in the
    template library, a finding whose rule the template does not have. Finding severities
    are the template's (the device's are not trusted)."""
    try:
        created = sessions.ingest(db, patient, record, template_ids,
                                  backdate=timedelta(days=settings.session_backdate_days))
    except ConflictError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    except InvalidInputError as exc:
        raise unprocessable(str(exc)) from None
    if not created:
        response.status_code = status.HTTP_200_OK
    return SessionAccepted(session_id=record.session_id, created=created)


@router.get("", response_model=list[SessionSummary])
def list_sessions(patient: OwnedPatientDep, therapist: TherapistDep, db: SessionDep,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                  offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[SessionSummary]:
    rows = [SessionSummary(session_id=s.id, exercises=ex, **{
        k: getattr(s, k) for k in SessionSummary.model_fields
        if k not in ("session_id", "exercises")})
        for s, ex in sessions.list_sessions(db, patient.id, limit=limit, offset=offset)]
    audit.read(db, actor_kind="therapist", actor_id=therapist.id, resource="session_list",
               patient_id=patient.id, therapist_id=therapist.id)
    return rows


@router.get("/{session_id}", response_model=SessionRecord)
def get_session(session_id: uuid.UUID, patient: OwnedPatientDep, therapist: TherapistDep,
                db: SessionDep) -> dict[str, Any]:
    """The full session record as uploaded."""
    try:
        row = sessions.get_session(db, patient.id, session_id)
    except NotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    record = dict(row.record)
    audit.read(db, actor_kind="therapist", actor_id=therapist.id, resource="session",
               resource_id=session_id, patient_id=patient.id, therapist_id=therapist.id)
    return record
