"""``/docs``: the API's Swagger UI, served from vendored files (no CDN; works offline).

In production ``/docs`` and ``/openapi.json`` are for signed-in therapists only: ``/docs``
redirects to the login page, ``/openapi.json`` answers 401 without a dashboard session or a
therapist bearer token. In development both are open (tests and tools read the schema).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from hepvision.server.data import accounts
from hepvision.server.errors import AuthError
from hepvision.server.web.auth import SESSION_COOKIE, LoginRequired

DOCS_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
            "object-src 'none'")

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - API</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui" data-openapi="{openapi}"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script></body></html>
"""

router = APIRouter(include_in_schema=False)


def _signed_in(request: Request) -> bool:
    """A therapist's dashboard cookie or bearer token (production only asks)."""
    header = request.headers.get("authorization", "")
    token = request.cookies.get(SESSION_COOKIE) or (
        header[7:] if header.lower().startswith("bearer ") else "")
    if not token:
        return False
    with request.app.state.sessionmaker() as db:
        try:
            principal = accounts.resolve_token(db, request.app.state.security, token)
        except AuthError:
            return False
        return principal.therapist is not None


def _restricted(request: Request) -> bool:
    return bool(request.app.state.settings.environment == "production"
                and not _signed_in(request))


@router.get("/docs")
def docs(request: Request) -> HTMLResponse:
    if _restricted(request):
        raise LoginRequired("/docs")
    html = _PAGE.format(title=request.app.title, openapi="/openapi.json")
    return HTMLResponse(html, headers={"Content-Security-Policy": DOCS_CSP,
                                       "Cache-Control": "no-store"})


@router.get("/openapi.json")
def openapi(request: Request) -> Response:
    if _restricted(request):
        raise HTTPException(401, "sign in to read the API description",
                            headers={"WWW-Authenticate": "Bearer"})
    return JSONResponse(request.app.openapi())


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and ``/openapi.json`` (``app`` built with both turned off)."""
    app.include_router(router)
