"""RTM: a patient's device-supply ledger and treatment-management time log; the month report.

Rules in :mod:`hepvision.server.data.rtm`; the month report in
:mod:`hepvision.server.data.rtm_report`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response, status

from hepvision.server.api.deps import DayQ, OwnedPatientDep, SessionDep, TherapistDep
from hepvision.server.data import audit, reports, rtm, rtm_report
from hepvision.server.errors import NotFoundError
from hepvision.server.models import utcnow
from hepvision.server.schemas import RtmPublic, RtmTimeCreate, RtmTimePublic, RtmTimeUpdate

router = APIRouter(tags=["rtm"])
EntryIdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
MonthQ = Annotated[str | None, Query(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$",
                                     description="calendar month YYYY-MM")]


@router.get("/patients/{patient_id}/rtm", response_model=RtmPublic)
def ledger(patient: OwnedPatientDep, therapist: TherapistDep, db: SessionDep,
           as_of: DayQ = None) -> RtmPublic:
    """Days with transmitted data, the 30-day device periods from the first monitored day with
    the code each supports (98977 / 98985, 98975 once), and the management time per month
    with its codes (98980 / 98981 / 98979)."""
    out = rtm.ledger(db, patient, as_of=as_of or reports.local_today(patient))
    audit.read(db, actor_kind="therapist", actor_id=therapist.id, resource="rtm",
               patient_id=patient.id, therapist_id=therapist.id)
    return out


@router.get("/patients/{patient_id}/rtm/time", response_model=list[RtmTimePublic])
def list_time(patient: OwnedPatientDep, therapist: TherapistDep, db: SessionDep,
              month: MonthQ = None) -> list[RtmTimePublic]:
    rows = [RtmTimePublic.model_validate(e) for e in rtm.time_entries(db, patient, month=month)]
    audit.read(db, actor_kind="therapist", actor_id=therapist.id, resource="rtm_time",
               patient_id=patient.id, therapist_id=therapist.id)
    return rows


@router.post("/patients/{patient_id}/rtm/time", response_model=RtmTimePublic,
             status_code=status.HTTP_201_CREATED)
def add_time(body: RtmTimeCreate, patient: OwnedPatientDep, therapist: TherapistDep,
             db: SessionDep) -> RtmTimePublic:
    """Log treatment-management minutes (audited)."""
    return RtmTimePublic.model_validate(rtm.add_time(db, therapist, patient, body))


@router.patch("/patients/{patient_id}/rtm/time/{entry_id}", response_model=RtmTimePublic)
def update_time(entry_id: EntryIdPath, body: RtmTimeUpdate, patient: OwnedPatientDep,
                therapist: TherapistDep, db: SessionDep) -> RtmTimePublic:
    """Correct an entry; the audit log keeps what it said before."""
    try:
        row = rtm.update_time(db, therapist, patient, entry_id, body)
    except NotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    return RtmTimePublic.model_validate(row)


@router.delete("/patients/{patient_id}/rtm/time/{entry_id}",
               status_code=status.HTTP_204_NO_CONTENT)
def delete_time(entry_id: EntryIdPath, patient: OwnedPatientDep, therapist: TherapistDep,
                db: SessionDep) -> Response:
    try:
        rtm.delete_time(db, therapist, patient, entry_id)
    except NotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/rtm/month-report.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def month_report(therapist: TherapistDep, db: SessionDep, month: MonthQ = None) -> Response:
    """The calling therapist's RTM month report (default: this month, UTC): per patient the
    device periods ending in the month with their codes, the setup code, and the month's
    management minutes with theirs (columns in ``rtm_report.COLUMNS``)."""
    today = utcnow().date()
    month = month or rtm.month_key(today)
    body = rtm_report.month_csv(month, rtm_report.month_lines(db, therapist, month,
                                                              today=today))
    audit.read(db, actor_kind="therapist", actor_id=therapist.id, resource="rtm_month_report",
               resource_id=month, patient_id=None, therapist_id=therapist.id)
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="rtm-{month}.csv"'})
