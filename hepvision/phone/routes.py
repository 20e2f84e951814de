"""The phone's routes on the therapist's server (mounted by :func:`install_phone`).

- ``GET /phone/``: the patient page, with a Content-Security-Policy that lets it talk to its
  own origin only (``connect-src 'self'``) and compile WebAssembly (``'wasm-unsafe-eval'``);
- ``/phone/static/``: its scripts and the vendored MediaPipe Tasks Vision files;
- ``GET /phone/model/pose_landmarker_full.task``: the bundled model (checked against
  ``models/MANIFEST.json``; its SHA-256 is the ETag);
- ``GET /phone/api/program``: today's program of the device's patient (bearer device token);
- ``GET /phone/api/demo/{exercise_id}``: the animated demonstration of an exercise;
- ``WS /phone/ws``: the landmark WebSocket (:mod:`hepvision.phone.socket`).

This module imports no part of the pipeline; the handlers that need it import it when called.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, WebSocket, status
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).with_name("static")
TASK_MODEL = "pose_landmarker_full.task"

#: The patient page's policy: nothing from anywhere but this origin; WASM may compile.
CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; "
       "img-src 'self' data: blob:; media-src 'self' blob: mediastream:; "
       "worker-src 'self' blob:; style-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'none'; frame-ancestors 'none'")
PAGE_HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-store",
                "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
                "Permissions-Policy": "camera=(self), microphone=(), geolocation=()"}

_bearer = HTTPBearer(auto_error=False)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]

router = APIRouter(prefix="/phone", include_in_schema=False)


@router.get("")
def phone_root() -> RedirectResponse:
    return RedirectResponse("/phone/", status.HTTP_308_PERMANENT_REDIRECT)


@router.get("/")
def phone_page() -> FileResponse:
    """The patient page (the enrolment code, when given, is in the URL's fragment)."""
    return FileResponse(STATIC_DIR / "index.html", headers=PAGE_HEADERS)


@router.get(f"/model/{TASK_MODEL}")
def pose_model(request: Request) -> Response:
    """The bundled ``.task`` model the page runs, verified against the manifest."""
    from hepvision.pose.models import verified_model_path

    path, sha256 = verified_model_path(TASK_MODEL)
    etag = f'"{sha256}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return FileResponse(path, media_type="application/octet-stream", headers=headers)


@router.get("/api/program")
def program(request: Request, creds: BearerDep) -> dict[str, Any]:
    """Today's program of the patient this device is enrolled for."""
    from hepvision.phone.hub import PhoneError, describe_program, device_patient, today_program

    if creds is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "enrol this phone first")
    with request.app.state.sessionmaker() as db:
        try:
            patient = device_patient(db, request.app.state.security, creds.credentials)
        except PhoneError as exc:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc)) from None
        try:
            out = describe_program(today_program(db, patient))
        except PhoneError as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return {"patient_id": patient.id, **out}


@router.get("/api/demo/{exercise_id}")
def demo(exercise_id: str) -> dict[str, Any]:
    """The animated demonstration of an exercise (landmarks per frame, drawn by the page)."""
    from hepvision.errors import HepvisionError
    from hepvision.phone.demo import NoDemonstration, demonstration

    if not exercise_id.replace("_", "").isalnum() or len(exercise_id) > 64:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown exercise")
    try:
        return demonstration(exercise_id)
    except (NoDemonstration, HepvisionError) as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


@router.websocket("/ws")
async def phone_socket(websocket: WebSocket) -> None:
    from hepvision.phone.socket import serve

    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host", "")
    if origin is not None and origin not in (f"http://{host}", f"https://{host}"):
        await websocket.close(1008, "cross-origin WebSocket refused")
        return
    await serve(websocket, _hub(websocket.app), websocket.app.state.security)


def _hub(app: FastAPI) -> Any:
    from hepvision.phone.hub import PhoneHub

    hub = app.state.phone_hub
    if hub is None:
        hub = app.state.phone_hub = PhoneHub(app.state.sessionmaker)
        app.state.phone_sweeper = asyncio.create_task(_sweep_forever(hub))
    return hub


async def _sweep_forever(hub: Any, every_s: float = 60.0) -> None:
    """Store the sessions phones have abandoned (see :meth:`PhoneHub.sweep`)."""
    while True:
        await asyncio.sleep(every_s)
        await asyncio.to_thread(hub.sweep)


def install_phone(app: FastAPI) -> None:
    """Mount the patient page, its files and its WebSocket on the server ``app``."""
    app.state.phone_hub = None  # built by the first WebSocket (it loads the pipeline)
    app.include_router(router)
    app.mount("/phone/static", StaticFiles(directory=STATIC_DIR), name="phone-static")
