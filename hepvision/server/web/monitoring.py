"""Dashboard pages for alerts, the RTM ledger and time log, and the progress report.

What the patient page adds (:func:`patient_context`), and the forms it posts: acknowledge an
alert, set the patient's alert thresholds, log / correct / delete treatment-management time,
download the progress report PDF; plus the therapist's RTM month report (CSV). Every POST
checks the CSRF token; every change is audited by the data layer, like the API's.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from hepvision.server.api.deps import SessionDep, SettingsDep
from hepvision.server.data import alert_rules, alerts, audit, rtm, rtm_report
from hepvision.server.data.alert_rules import AlertDefaults
from hepvision.server.errors import InvalidInputError, NotFoundError
from hepvision.server.models import Patient, RtmTimeEntry, utcnow
from hepvision.server.progress import log_report, progress_pdf, report_filename
from hepvision.server.schemas import (
    AlertAckCreate,
    AlertSettingsUpdate,
    ProgressReportRequest,
    RtmTimeCreate,
    RtmTimeUpdate,
)
from hepvision.server.web.auth import PageNotFound, WebPatientDep, WebUserDep, check_csrf, read_form

router = APIRouter(include_in_schema=False)
M = TypeVar("M", bound=BaseModel)
#: Days a new report covers by default (ending today).
REPORT_DEFAULT_DAYS = 30


def this_month() -> str:
    return rtm.month_key(utcnow().date())


def patient_context(db: SessionDep, patient: Patient, settings: Any, today: date
                    ) -> dict[str, Any]:
    """What the patient page shows of alerts, RTM and the report form."""
    defaults = AlertDefaults.from_settings(settings)
    found = alerts.patient_alerts(db, patient, defaults)
    ledger = rtm.ledger(db, patient, as_of=today)
    first_of_month = today.replace(day=1)
    since = (first_of_month - timedelta(days=1)).replace(day=1)
    return {
        "alerts": [a for a in found if a.acknowledged is None],
        "acknowledged": [a for a in found if a.acknowledged is not None],
        "ack_history": alerts.ack_history(db, patient, limit=10),
        "alert_settings": alert_rules.settings_of(db, patient, defaults),
        "rtm": ledger, "rtm_period": ledger.periods[-1] if ledger.periods else None,
        "time_entries": [e for e in rtm.time_entries(db, patient) if e.day >= since],
        "time_since": since,
        "report_start": max(today - timedelta(days=REPORT_DEFAULT_DAYS - 1),
                            patient.monitoring_start or date.min),
    }


def _back(patient: Patient, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/patients/{patient.id}#{anchor}", status_code=303,
                            headers={"Cache-Control": "no-store"})


def _one(form: dict[str, list[str]], key: str) -> str:
    return (form.get(key) or [""])[0].strip()


def _refused(request: Request, user: Any, message: str) -> HTMLResponse:
    from hepvision.server.web.routes import render

    return render(request, "error.html", {"user": user, "title": "Not saved",
                                          "message": message}, status_code=422)


def _parse(model: type[M], values: dict[str, Any]) -> M | str:
    """``values`` validated by ``model``, or the first error as one line."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "form"
        return f"{where.replace('_', ' ')}: {first['msg']}"


@router.post("/patients/{patient_id}/alerts/acknowledge")
async def acknowledge(request: Request, user: WebUserDep, patient: WebPatientDep,
                      db: SessionDep, settings: SettingsDep) -> Response:
    form = await read_form(request)
    check_csrf(request, form, user.csrf_token)
    data = _parse(AlertAckCreate, {k: _one(form, k) for k in ("kind", "subject", "note")})
    if isinstance(data, str):
        return _refused(request, user, f"The alert was not acknowledged ({data}). "
                        "A note is required.")
    try:
        alerts.acknowledge(db, user.therapist, patient, AlertDefaults.from_settings(settings),
                           data)
    except NotFoundError as exc:
        return _refused(request, user, str(exc))
    return _back(patient, "alerts")


@router.post("/patients/{patient_id}/alert-settings")
async def alert_settings(request: Request, user: WebUserDep, patient: WebPatientDep,
                         db: SessionDep) -> Response:
    form = await read_form(request)
    check_csrf(request, form, user.csrf_token)
    values = {k: _one(form, k) or None for k in ("pain_stop_nrs", "rom_drop_deg",
                                                  "missed_days")}
    data = _parse(AlertSettingsUpdate, values)
    if isinstance(data, str):
        return _refused(request, user, f"The alert thresholds were not changed ({data}).")
    alert_rules.update_settings(db, user.therapist, patient, data)
    return _back(patient, "alert-settings")


def _time_values(form: dict[str, list[str]]) -> dict[str, Any]:
    return {"day": _one(form, "day"), "minutes": _one(form, "minutes"),
            "live_contact": _one(form, "live_contact") == "yes", "note": _one(form, "note")}


@router.post("/patients/{patient_id}/rtm/time")
async def add_time(request: Request, user: WebUserDep, patient: WebPatientDep,
                   db: SessionDep) -> Response:
    form = await read_form(request)
    check_csrf(request, form, user.csrf_token)
    data = _parse(RtmTimeCreate, _time_values(form))
    if isinstance(data, str):
        return _refused(request, user, f"The time was not logged ({data}).")
    rtm.add_time(db, user.therapist, patient, data)
    return _back(patient, "rtm")


def _entry(db: SessionDep, patient: Patient, entry_id: int) -> RtmTimeEntry:
    row = db.get(RtmTimeEntry, entry_id)
    if row is None or row.patient_id != patient.id:
        raise PageNotFound()
    return row


@router.get("/patients/{patient_id}/rtm/time/{entry_id}")
def edit_time_form(request: Request, entry_id: int, user: WebUserDep, patient: WebPatientDep,
                   db: SessionDep) -> HTMLResponse:
    from hepvision.server.web.routes import render

    entry = _entry(db, patient, entry_id)
    audit.read(db, actor_kind="therapist", actor_id=user.therapist.id, resource="rtm_time",
               resource_id=entry.id, patient_id=patient.id, therapist_id=user.therapist.id)
    return render(request, "rtm_time.html", {"user": user, "patient": patient, "entry": entry})


@router.post("/patients/{patient_id}/rtm/time/{entry_id}")
async def edit_time(request: Request, entry_id: int, user: WebUserDep, patient: WebPatientDep,
                    db: SessionDep) -> Response:
    form = await read_form(request)
    check_csrf(request, form, user.csrf_token)
    entry = _entry(db, patient, entry_id)
    if _one(form, "action") == "delete":
        rtm.delete_time(db, user.therapist, patient, entry.id)
        return _back(patient, "rtm")
    data = _parse(RtmTimeUpdate, _time_values(form))
    if isinstance(data, str):
        return _refused(request, user, f"The entry was not changed ({data}).")
    rtm.update_time(db, user.therapist, patient, entry.id, data)
    return _back(patient, "rtm")


@router.get("/rtm/month-report.csv")
def month_report(user: WebUserDep, db: SessionDep, month: str = "") -> Response:
    """The therapist's RTM month report (the API's CSV)."""
    today = utcnow().date()
    month = month or rtm.month_key(today)
    try:
        lines = rtm_report.month_lines(db, user.therapist, month, today=today)
    except ValueError:
        raise PageNotFound() from None
    audit.read(db, actor_kind="therapist", actor_id=user.therapist.id,
               resource="rtm_month_report", resource_id=month, patient_id=None,
               therapist_id=user.therapist.id)
    return Response(rtm_report.month_csv(month, lines), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="rtm-{month}.csv"',
                             "Cache-Control": "no-store"})


@router.post("/patients/{patient_id}/progress-report")
async def progress_report(request: Request, user: WebUserDep, patient: WebPatientDep,
                          db: SessionDep, settings: SettingsDep) -> Response:
    """The progress report PDF for the form's period and comment."""
    form = await read_form(request)
    check_csrf(request, form, user.csrf_token)
    data = _parse(ProgressReportRequest, {"start": _one(form, "start"),
                                          "end": _one(form, "end"),
                                          "comment": _one(form, "comment")})
    if isinstance(data, str):
        return _refused(request, user, f"No report ({data}).")
    try:
        pdf = progress_pdf(db, patient, start=data.start, end=data.end, comment=data.comment,
                           defaults=AlertDefaults.from_settings(settings))
    except InvalidInputError as exc:
        return _refused(request, user, f"No report ({exc}).")
    log_report(db, "therapist", user.therapist.id, patient, data.start, data.end)
    name = report_filename(patient, data.start, data.end)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
