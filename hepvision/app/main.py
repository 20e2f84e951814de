"""``create_app(settings)``: the page, its static files, the plan list and the WebSocket."""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from hepvision import __version__
from hepvision.app.config import AppSettings
from hepvision.app.protocol import dumps
from hepvision.app.local import LocalSession, describe_offer
from hepvision.app.replies import Reply

log = logging.getLogger(__name__)

_LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}



def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is this machine's loopback interface."""
    name = host.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class LocalOnly:
    """Refuse clients that are not on this machine, and pages of other sites.

    - the client address must be loopback (unless ``allow_remote``);
    - the ``Host`` header must name the loopback interface (unless ``allow_remote``): a
      DNS-rebinding page (``evil.example`` resolving to 127.0.0.1) is refused;
    - a WebSocket's ``Origin``, when sent (browsers always send it), must be this page's own
      origin, so another site open in the browser cannot drive a session.
    """

    def __init__(self, app: ASGIApp, allow_remote: bool) -> None:
        self.app = app
        self.allow_remote = allow_remote

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        why = self._refusal(scope)
        if why is None:
            await self.app(scope, receive, send)
            return
        log.warning("refused %s from %s: %s", scope["type"], scope.get("client"), why)
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008, "reason": why})
        else:
            await PlainTextResponse(why, 403)(scope, receive, send)

    def _refusal(self, scope: Scope) -> str | None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if not self.allow_remote:
            client = scope.get("client")
            if client and not is_loopback(client[0]):
                return "this page only serves this machine (start with --host to share it)"
            if _host_name(host) not in _LOCAL_NAMES and not is_loopback(_host_name(host)):
                return f"unexpected Host header {host!r}"
        origin = headers.get("origin")
        if scope["type"] == "websocket" and origin is not None:
            if origin not in (f"http://{host}", f"https://{host}"):
                return f"cross-origin WebSocket from {origin!r} refused"
        return None


def _host_name(host: str) -> str:
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def create_app(settings: AppSettings) -> FastAPI:
    """The app for ``settings`` (nothing is built at import time): the patient page of
    :mod:`hepvision.phone` in its local mode, its files and model, the offered plans, and the
    page's WebSocket (:mod:`hepvision.app.local`)."""
    from hepvision.phone import routes as phone

    app = FastAPI(title="hepvision live", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.settings = settings
    saved: dict[str, Reply] = {}
    page = local_page(settings)

    @app.get("/", include_in_schema=False)
    @app.get("/phone/", include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(page, headers=phone.PAGE_HEADERS)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/phone/api/program")
    def program() -> dict[str, Any]:
        """What the page offers: the program (run as a whole) or exercises to pick from."""
        return describe_offer(settings)

    app.add_api_route(f"/phone/model/{phone.TASK_MODEL}", phone.pose_model,
                      include_in_schema=False)
    app.add_api_route("/phone/api/demo/{exercise_id}", phone.demo, include_in_schema=False)

    @app.websocket("/phone/ws")
    async def session_socket(websocket: WebSocket) -> None:
        await websocket.accept()
        session = LocalSession(settings, saved)
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                if message.get("bytes") is not None:
                    replies = await session.on_bytes(message["bytes"])
                else:
                    replies = await session.on_text(message.get("text") or "")
                for reply in replies:
                    await websocket.send_text(dumps(reply))
        except WebSocketDisconnect:
            pass
        finally:
            await session.close()

    app.mount("/phone/static", StaticFiles(directory=phone.STATIC_DIR), name="static")
    app.add_middleware(LocalOnly, allow_remote=settings.allow_remote)
    return app


def local_page(settings: AppSettings) -> str:
    """The patient page marked for its local mode (no enrolment; the default pose source)."""
    from hepvision.phone.routes import STATIC_DIR

    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    marked = html.replace("<html lang=\"en\">",
                          f'<html lang="en" data-mode="local" data-pose="{settings.pose}">', 1)
    if marked == html:
        raise RuntimeError("the patient page has no <html lang=\"en\"> tag to mark")
    return marked
