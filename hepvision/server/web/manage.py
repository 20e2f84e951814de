"""Dashboard pages to manage a patient and one's own account (issue 15).

- ``/patients/{id}/settings``: edit name, record number and time zone; discharge (no device
  may upload any more) or take back; revoke the patient's devices (a lost phone).
- ``/patients/{id}/enrolment``: the enrolment code just issued (by ``POST /patients/new`` or
  ``POST /patients/{id}/enrolment-code``, which redirect here), with its QR code.
- ``/account``: change one's password; see the therapist accounts locked after repeated
  failed logins and unlock one (there is no administrator role: colleagues unlock).

Every POST checks the CSRF token and redirects (POST/redirect/GET); every change goes through
the data layer the API uses, so it is audited the same way.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from hepvision.phone import pipeline_installed
from hepvision.server.api.deps import SecurityDep, SessionDep, SettingsDep
from hepvision.server.core.config import Settings
from hepvision.server.data import accounts, lockout
from hepvision.server.errors import AuthError, InvalidInputError
from hepvision.server.models import Patient, Therapist
from hepvision.server.schemas import PatientUpdate
from hepvision.server.web.auth import (
    PageNotFound,
    WebPatientDep,
    WebUserDep,
    check_csrf,
    read_form,
    secure_cookies,
)
from hepvision.wire.enrolment import enrolment_uri, phone_enrolment_url

router = APIRouter(include_in_schema=False)


def _render(request: Request, name: str, context: dict[str, Any],
            status_code: int = 200) -> HTMLResponse:
    from hepvision.server.web.routes import render

    return render(request, name, context, status_code=status_code)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def _one(form: dict[str, list[str]], key: str) -> str:
    return (form.get(key) or [""])[0].strip()


@router.get("/patients/{patient_id}/settings")
def patient_settings(request: Request, user: WebUserDep, patient: WebPatientDep,
                     db: SessionDep, saved: str | None = None) -> HTMLResponse:
    return _render(request, "patient_settings.html", {
        "user": user, "patient": patient, "saved": saved, "error": None,
        "devices": accounts.device_count(db, patient.id)})


@router.post("/patients/{patient_id}/settings")
async def save_patient_settings(request: Request, user: WebUserDep, patient: WebPatientDep,
                                db: SessionDep) -> Response:
    form = await read_form(request)
    check_csrf(request, form, user.csrf_token)
    action = _one(form, "action")
    if action == "revoke":
        n = accounts.revoke_devices(db, user.therapist, patient)
        return _see_other(f"/patients/{patient.id}/settings?saved=revoked-{n}")
    if action in ("discharge", "readmit"):
        accounts.update_patient(db, user.therapist, patient,
                                PatientUpdate(is_active=action == "readmit"))
        return _see_other(f"/patients/{patient.id}/settings?saved={action}")
    try:
        data = PatientUpdate(display_name=_one(form, "display_name"),
                             external_ref=_one(form, "external_ref") or None,
                             timezone=_one(form, "timezone"))
    except ValidationError as exc:
        first = exc.errors()[0]
        message = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
        return _render(request, "patient_settings.html", {
            "user": user, "patient": patient, "saved": None, "error": message,
            "devices": accounts.device_count(db, patient.id)}, status_code=422)
    accounts.update_patient(db, user.therapist, patient, data)
    return _see_other(f"/patients/{patient.id}/settings?saved=details")


@router.get("/account")
def account(request: Request, user: WebUserDep, db: SessionDep,
            saved: str | None = None) -> HTMLResponse:
    return _account(request, user, db, saved=saved)


def _account(request: Request, user: Any, db: Any, *, saved: str | None = None,
             error: str | None = None, status_code: int = 200) -> HTMLResponse:
    return _render(request, "account.html", {
        "user": user, "saved": saved, "error": error,
        "locked": lockout.locked_accounts(db)}, status_code=status_code)


@router.post("/account/password")
async def change_password(request: Request, user: WebUserDep, db: SessionDep,
                          sec: SecurityDep) -> Response:
    form = await read_form(request)
    check_csrf(request, form, user.csrf_token)
    new = (form.get("new_password") or [""])[0]
    if new != (form.get("repeat_password") or [""])[0]:
        return _account(request, user, db, error="the new passwords differ", status_code=422)
    try:  # two password hashes: off the event loop
        await run_in_threadpool(accounts.change_password, db, sec, user.therapist,
                                current=(form.get("current_password") or [""])[0], new=new,
                                keep_token_id=user.principal.token_id)
    except (AuthError, InvalidInputError) as exc:
        return _account(request, user, db, error=str(exc), status_code=422)
    return _see_other("/account?saved=password")


@router.post("/account/unlock/{therapist_id}")
async def unlock(request: Request, therapist_id: int, user: WebUserDep,
                 db: SessionDep) -> Response:
    form = await read_form(request)
    check_csrf(request, form, user.csrf_token)
    target = db.get(Therapist, therapist_id) if 1 <= therapist_id <= 2**31 - 1 else None
    if target is None:
        raise PageNotFound()
    lockout.unlock(db, target, actor_kind="therapist", actor_id=user.therapist.id)
    return _see_other("/account?saved=unlocked")


# ---- the enrolment code: POST issues it, then redirects to a page that shows it ------------

ENROL_COOKIE = "hv_enrol"
ENROL_COOKIE_S = 600


def show_code(request: Request, settings: Settings, patient: Patient,
              code: accounts.IssuedToken) -> RedirectResponse:
    """Redirect to the page that shows ``code`` (POST/redirect/GET: reloading that page shows
    the code again and creates nothing). The code travels in a short-lived HttpOnly cookie for
    that one page, never in a URL."""
    url = f"/patients/{patient.id}/enrolment"
    response = _see_other(url)
    response.set_cookie(ENROL_COOKIE, code.token, max_age=ENROL_COOKIE_S, path=url,
                        httponly=True, samesite="strict",
                        secure=secure_cookies(request, settings))
    return response


@router.post("/patients/{patient_id}/enrolment-code")
async def new_code(request: Request, user: WebUserDep, patient: WebPatientDep,
                   db: SessionDep, sec: SecurityDep, settings: SettingsDep) -> Response:
    form = await read_form(request)
    check_csrf(request, form, user.csrf_token)
    code = accounts.new_enrolment_code(
        db, sec, user.therapist, patient,
        lifetime=timedelta(hours=settings.enrolment_code_hours))
    return show_code(request, settings, patient, code)


@router.get("/patients/{patient_id}/enrolment")
def enrolment_page(request: Request, user: WebUserDep, patient: WebPatientDep,
                   db: SessionDep, sec: SecurityDep) -> HTMLResponse:
    """The code just issued (from the cookie, if it is still this patient's unused code), or
    a button to issue a new one."""
    import segno

    code = accounts.unused_code(db, sec, patient, request.cookies.get(ENROL_COOKIE, ""))
    if code is None:
        return _render(request, "enrolment.html", {"user": user, "patient": patient,
                                                   "code": None})
    server = str(request.base_url).rstrip("/")
    app_uri = enrolment_uri(server, code.token)
    # The QR code opens the patient's phone page with the code (hepvision.phone), where this
    # server has the pose analysis to serve it; else it carries the desktop app's text.
    payload = phone_enrolment_url(server, code.token) if pipeline_installed() else app_uri
    qr_svg = segno.make(payload, error="m").svg_inline(
        scale=5, title=f"QR code of enrolment code {code.token}", svgclass="qr")
    return _render(request, "enrolment.html", {
        "user": user, "patient": patient, "code": code.token, "expires_at": code.expires_at,
        "server": server, "qr_svg": qr_svg, "qr_payload": payload, "app_uri": app_uri})
