"""The progress report PDF of a patient (:mod:`hepvision.server.progress`)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from hepvision.server.api.deps import OwnedPatientDep, SessionDep, SettingsDep, TherapistDep
from hepvision.server.api.responses import unprocessable
from hepvision.server.data.alert_rules import AlertDefaults
from hepvision.server.errors import InvalidInputError
from hepvision.server.progress import log_report, progress_pdf, report_filename
from hepvision.server.schemas import ProgressReportRequest

router = APIRouter(prefix="/patients/{patient_id}", tags=["reports"])


@router.post("/progress-report", response_class=Response,
             responses={200: {"content": {"application/pdf": {}}}})
def progress_report(body: ProgressReportRequest, patient: OwnedPatientDep,
                    therapist: TherapistDep, db: SessionDep, settings: SettingsDep) -> Response:
    """A PDF for the local days ``start`` to ``end`` (at most 366): program and versions, ROM
    trend per exercise, joint and side against target and normal range, adherence calendar,
    pain, form findings and the therapist's ``comment``. Audited."""
    try:
        pdf = progress_pdf(db, patient, start=body.start, end=body.end, comment=body.comment,
                           defaults=AlertDefaults.from_settings(settings))
    except InvalidInputError as exc:
        raise unprocessable(str(exc)) from None
    log_report(db, "therapist", therapist.id, patient, body.start, body.end)
    name = report_filename(patient, body.start, body.end)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
