"""The dashboard's pages: login, patient list, patient page, session, prescription, enrolment.

Every page but the login form needs a therapist session (cookie); patient pages resolve the
patient with the API's ownership rule (another therapist's patient is 404). Every POST checks
the CSRF token. Reads are written to the audit log like the API's. Queries live in
:mod:`hepvision.server.data`; what a page shows is assembled in :mod:`.views`.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from pydantic import ValidationError

from hepvision.server.api.deps import SecurityDep, SessionDep, SettingsDep
from hepvision.server.data import accounts, audit, dashboard, prescriptions, reports, sessions
from hepvision.server.data.alert_rules import DEFAULT_MISSED_DAYS, AlertDefaults
from hepvision.server.errors import AuthError, ConflictError, InvalidInputError, NotFoundError
from hepvision.server.errors import TooManyAttemptsError
from hepvision.server.models import Patient, Therapist
from hepvision.server.schemas import PatientCreate
from hepvision.server.web import forms, manage, monitoring, views
from hepvision.server.web.auth import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    PageNotFound,
    WebPatientDep,
    WebUserDep,
    check_csrf,
    clear_session_cookie,
    new_login_csrf,
    read_form,
    safe_next,
    set_session_cookie,
)
from hepvision.server.web.library import LibraryEntry, library

router = APIRouter(include_in_schema=False)

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def render(request: Request, name: str, context: dict[str, Any], *,
           status_code: int = 200) -> HTMLResponse:
    env = request.app.state.web_templates
    context.setdefault("user", None)
    html = env.get_template(name).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def _one(form: dict[str, list[str]], key: str) -> str:
    return (form.get(key) or [""])[0]


def _lib(request: Request) -> dict[str, LibraryEntry]:
    return library(request.app.state.template_ids())


def _read(db: SessionDep, therapist: Therapist, patient: Patient | None, what: str,
          resource_id: object = None, *, window: str = "") -> None:
    audit.read(db, actor_kind="therapist", actor_id=therapist.id, resource=what,
               resource_id=resource_id, patient_id=patient.id if patient else None,
               therapist_id=therapist.id, detail=f"window={window}" if window else "")


# ---- login and logout ----------------------------------------------------------------------

@router.get("/")
def home() -> RedirectResponse:
    return _redirect("/patients")


@router.get("/login")
def login_form(request: Request, next: str = "/patients", logged_out: bool = False
               ) -> HTMLResponse:
    token = new_login_csrf()
    response = render(request, "login.html", {"csrf_token": token, "next": safe_next(next),
                                              "logged_out": logged_out, "error": None})
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, path="/login", httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")
    return response


@router.post("/login")
async def login(request: Request, db: SessionDep, sec: SecurityDep,
                settings: SettingsDep) -> Response:
    form = await read_form(request)
    check_csrf(request, form, request.cookies.get(LOGIN_CSRF_COOKIE, ""))
    next_path = safe_next(_one(form, "next"))
    try:  # the password hash runs in a worker thread, not on the event loop
        issued = await run_in_threadpool(
            accounts.login, db, sec, email=_one(form, "email")[:254],
            password=_one(form, "password")[:1024],
            lifetime=timedelta(minutes=settings.access_token_minutes),
            address=(request.client or ("unknown",))[0], limiter=request.app.state.login_limiter)
    except AuthError as exc:
        token = new_login_csrf()
        response: Response = render(request, "login.html", {
            "csrf_token": token, "next": next_path, "logged_out": False,
            "error": str(exc), "email": _one(form, "email")},
            status_code=429 if isinstance(exc, TooManyAttemptsError) else 401)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, path="/login",
                            httponly=True, samesite="lax", secure=request.url.scheme == "https")
        return response
    response = _redirect(next_path)
    set_session_cookie(response, request, settings, issued.token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, user: WebUserDep, db: SessionDep) -> Response:
    form = await read_form(request)
    check_csrf(request, form, user.csrf_token)
    accounts.revoke_token(db, user.principal)
    response = _redirect("/login?logged_out=1")
    clear_session_cookie(response)
    return response


# ---- patient list and enrolment ------------------------------------------------------------

@router.get("/patients")
def patient_list(request: Request, user: WebUserDep, db: SessionDep, settings: SettingsDep,
                 q: str = "", sort: str = "alerts", dir: str = "") -> HTMLResponse:
    sort = sort if sort in views.SORT_KEYS else "alerts"
    descending = (dir or ("asc" if sort == "name" else "desc")) == "desc"
    rows = dashboard.patient_overviews(db, user.therapist,
                                       defaults=AlertDefaults.from_settings(settings))
    needle = q.strip().lower()[:100]
    if needle:
        rows = [r for r in rows if needle in r.patient.display_name.lower()
                or needle in (r.patient.external_ref or "").lower()]
    present = [r for r in rows if views.sort_value(r, sort)[0] == 0]
    missing = [r for r in rows if views.sort_value(r, sort)[0] == 1]
    present.sort(key=lambda r: r.patient.display_name.lower())
    present.sort(key=lambda r: views.sort_value(r, sort)[1], reverse=descending)
    missing.sort(key=lambda r: r.patient.display_name.lower())
    _read(db, user.therapist, None, "dashboard_patient_list")

    def sort_link(key: str) -> str:
        flip = "asc" if sort == key and descending else "desc"
        if sort != key:
            flip = "asc" if key == "name" else "desc"
        return "/patients?" + urlencode({"q": q, "sort": key, "dir": flip})

    return render(request, "patients.html", {
        "user": user, "rows": present + missing, "q": q, "sort": sort,
        "descending": descending, "sort_link": sort_link, "total": len(rows),
        "missed_days": DEFAULT_MISSED_DAYS, "month": monitoring.this_month()})


@router.get("/patients/new")
def new_patient_form(request: Request, user: WebUserDep) -> HTMLResponse:
    return render(request, "patient_new.html", {"user": user, "values": {}, "errors": {}})


@router.post("/patients/new")
async def create_patient(request: Request, user: WebUserDep, db: SessionDep,
                         sec: SecurityDep, settings: SettingsDep) -> Response:
    form = await read_form(request)
    check_csrf(request, form, user.csrf_token)
    values = {k: _one(form, k).strip() for k in ("display_name", "external_ref", "timezone",
                                                  "monitoring_start")}
    try:
        data = PatientCreate.model_validate({k: v for k, v in values.items() if v})
    except ValidationError as exc:
        errors = {str(e["loc"][0]) if e["loc"] else "form": e["msg"] for e in exc.errors()}
        return render(request, "patient_new.html", {"user": user, "values": values,
                                                    "errors": errors}, status_code=422)
    patient, code = accounts.create_patient(
        db, sec, user.therapist, data,
        code_lifetime=timedelta(hours=settings.enrolment_code_hours))
    return manage.show_code(request, settings, patient, code)  # POST/redirect/GET


# ---- patient page --------------------------------------------------------------------------

def _window(window: str) -> tuple[str, int]:
    return (window, views.WINDOWS[window]) if window in views.WINDOWS else (
        views.DEFAULT_WINDOW, views.WINDOWS[views.DEFAULT_WINDOW])


def _current(db: SessionDep, patient: Patient) -> Any:
    try:
        return prescriptions.to_public(prescriptions.current(db, patient.id))
    except NotFoundError:
        return None


@router.get("/patients/{patient_id}")
def patient_page(request: Request, user: WebUserDep, patient: WebPatientDep, db: SessionDep,
                 settings: SettingsDep, window: str = views.DEFAULT_WINDOW,
                 saved: int | None = None) -> HTMLResponse:
    window, days = _window(window)
    today = reports.local_today(patient)
    start = today - timedelta(days=days - 1) if days else None
    lines = dashboard.session_lines(db, patient, start=start)
    current = _current(db, patient)
    lib = _lib(request)
    first = views.plan_start(patient, lines)  # no grey "0/0" weeks before enrolment
    cal_start = max(start or (lines[0].day if lines else today), first,
                    today - timedelta(days=views.CALENDAR_MAX_DAYS - 1))
    weeks = views.calendar(reports.adherence(db, patient, period="day", start=cal_start,
                                             end=today), cal_start, today, lib)
    last = lines[-1].day if lines else sessions_last_day(db, patient)
    extra = monitoring.patient_context(db, patient, settings, today)
    adherence7 = dashboard.adherence_pct(reports.adherence(
        db, patient, period="day", start=max(first, today - timedelta(days=6)), end=today))
    adherence30 = dashboard.adherence_pct(reports.adherence(
        db, patient, period="day", start=max(first, today - timedelta(days=29)), end=today))
    _read(db, user.therapist, patient, "dashboard_patient", window=window)
    return render(request, "patient.html", {
        "user": user, "patient": patient, "window": window, "windows": views.WINDOWS,
        "today": today, "start": start, "lines": list(reversed(lines)),
        "rom_charts": views.rom_charts(lines, current, lib, tz=patient.timezone),
        "pain_chart": views.pain_payload(lines, tz=patient.timezone), "weeks": weeks, **extra,
        "adherence7": adherence7, "adherence30": adherence30, "current": current,
        "lib": lib, "saved": saved, "local_time": lambda m: views.local_time(m, patient),
        "last_day": last})


def sessions_last_day(db: SessionDep, patient: Patient) -> date | None:
    rows = sessions.list_sessions(db, patient.id, limit=1)
    return rows[0][0].day if rows else None


@router.get("/patients/{patient_id}/export.csv")
def export_csv(user: WebUserDep, patient: WebPatientDep, db: SessionDep,
               window: str = views.DEFAULT_WINDOW) -> StreamingResponse:
    """The sessions of the shown window, one row per session and exercise (the API's CSV)."""
    window, days = _window(window)
    start = reports.local_today(patient) - timedelta(days=days - 1) if days else None
    _read(db, user.therapist, patient, "export_csv", window=window)
    return StreamingResponse(
        reports.export_csv(db, patient, start=start), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition":
                 f'attachment; filename="patient-{patient.id}-sessions-{window}.csv"',
                 "Cache-Control": "no-store"})


@router.get("/patients/{patient_id}/adherence.csv")
def adherence_csv(request: Request, user: WebUserDep, patient: WebPatientDep, db: SessionDep,
                  window: str = views.DEFAULT_WINDOW) -> Response:
    """The calendar: per day and exercise, sessions and reps done against prescribed."""
    window, days = _window(window)
    today = reports.local_today(patient)
    start = today - timedelta(days=(days or views.CALENDAR_MAX_DAYS) - 1)
    rows = reports.adherence(db, patient, period="day", start=start, end=today)
    lines = [("day,exercise_id,sessions_done,sessions_prescribed,reps_done,reps_prescribed,"
             "adherence_pct")]
    lines += [f"{r.period_start},{r.exercise_id},{r.sessions_done},{r.sessions_prescribed},"
              f"{r.reps_done},{r.reps_prescribed},"
              f"{'' if r.adherence_pct is None else r.adherence_pct}" for r in rows]
    _read(db, user.therapist, patient, "adherence_csv", window=window)
    return Response("\n".join(lines) + "\n", media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition":
        f'attachment; filename="patient-{patient.id}-adherence-{window}.csv"',
        "Cache-Control": "no-store"})


# ---- one session ---------------------------------------------------------------------------

def _record(db: SessionDep, patient: Patient, session_id: str) -> Any:
    try:
        sid = uuid.UUID(session_id)
        return sessions.get_session(db, patient.id, sid)
    except (ValueError, NotFoundError):
        raise PageNotFound() from None


@router.get("/patients/{patient_id}/sessions/{session_id}")
def session_page(request: Request, session_id: str, user: WebUserDep,
                 patient: WebPatientDep, db: SessionDep) -> HTMLResponse:
    row = _record(db, patient, session_id)
    record = dict(row.record)
    lib = _lib(request)
    _read(db, user.therapist, patient, "dashboard_session", row.id)
    return render(request, "session.html", {
        "user": user, "patient": patient, "session": row, "record": record,
        "charts": views.rep_charts(record, lib), "findings": views.findings_of(record),
        "lib": lib, "local_time": lambda m: views.local_time(m, patient)})


@router.get("/patients/{patient_id}/sessions/{session_id}/reps.csv")
def session_csv(session_id: str, user: WebUserDep, patient: WebPatientDep,
                db: SessionDep) -> Response:
    row = _record(db, patient, session_id)
    cols = ("exercise_id", "angle_name", "set", "rep", "start_ms", "peak_ms", "end_ms",
            "rom_start_deg", "rom_peak_deg", "rom_range_deg", "concentric_ms", "eccentric_ms",
            "hold_ms", "side")
    out = [",".join(cols)]
    for ex in row.record.get("exercises", []):
        for s in ex.get("sets", []):
            for i, rep in enumerate(s.get("repetitions", [])):
                values = [ex["exercise_id"], ex["angle_name"], s.get("set_index", 0) + 1, i + 1]
                values += [rep.get(k) for k in cols[4:]]
                out.append(",".join("" if v is None else str(v) for v in values))
    _read(db, user.therapist, patient, "session_csv", row.id)
    return Response("\n".join(out) + "\n", media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="session-{row.id}-reps.csv"',
        "Cache-Control": "no-store"})


# ---- prescription editor -------------------------------------------------------------------

def _editor(request: Request, user: Any, patient: Patient, db: SessionDep,
            state: forms.PrescriptionForm, *, status_code: int = 200) -> HTMLResponse:
    return render(request, "prescription.html", {
        "user": user, "patient": patient, "state": state, "lib": _lib(request),
        "history": prescriptions.history(db, patient.id), "sides": forms.SIDES,
        "dose_fields": forms.DOSE_FIELDS, "csrf_field": CSRF_FIELD}, status_code=status_code)


@router.get("/patients/{patient_id}/prescription")
def prescription_form(request: Request, user: WebUserDep, patient: WebPatientDep,
                      db: SessionDep) -> HTMLResponse:
    current = _current(db, patient)
    _read(db, user.therapist, patient, "prescription", current.version if current else None)
    return _editor(request, user, patient, db, forms.form_from_prescription(current))


@router.post("/patients/{patient_id}/prescription")
async def prescription_post(request: Request, user: WebUserDep, patient: WebPatientDep,
                            db: SessionDep) -> Response:
    form = await read_form(request)
    check_csrf(request, form, user.csrf_token)
    state = forms.parse_form(form)
    action = _one(form, "action")
    lib = _lib(request)
    if action == "add":
        entry = lib.get(_one(form, "add_exercise"))
        if entry is None:
            state.errors.append("choose an exercise from the library to add")
            return _editor(request, user, patient, db, state, status_code=422)
        state.rows.append(forms.row_from_template(entry))
        return _editor(request, user, patient, db, state)
    if action.startswith("remove-") and action[7:].isdigit():
        index = int(action[7:])
        if index < len(state.rows):
            del state.rows[index]
        return _editor(request, user, patient, db, state)
    data = forms.validate(state)
    if data is None:
        return _editor(request, user, patient, db, state, status_code=422)
    try:
        row = prescriptions.create_prescription(db, user.therapist, patient, data,
                                                request.app.state.template_ids())
    except (InvalidInputError, ConflictError) as exc:
        state.errors.append(str(exc))
        return _editor(request, user, patient, db, state, status_code=422)
    return _redirect(f"/patients/{patient.id}?saved={row.version}")
