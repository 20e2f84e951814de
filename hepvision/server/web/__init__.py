"""The therapist dashboard: server-rendered pages (Jinja2) on top of the API's data layer.

    auth.py      cookie sessions (the API's tokens in an HttpOnly cookie), CSRF, access deps
    routes.py    the pages: /login, /patients, /patients/{id}, sessions, prescription, CSV
    monitoring.py  alert acknowledgement and thresholds, RTM time log and month report,
                 the progress report PDF
    views.py     what a page shows (chart series, calendar), built from data-layer results
    forms.py     the prescription editor's form, validated by the API's schema
    library.py   the exercise template library as the editor offers it
    clinical.py  normal ROM end ranges (reference bands)
    templates/   Jinja2 pages; static/ CSS, dashboard.js and vendor/uplot (uPlot, MIT)

Charts are drawn by uPlot, vendored under ``static/vendor/uplot`` (see its ``VENDOR.md``):
nothing is loaded from the internet, so the pages work in a clinic without one.
:func:`install_web` mounts it all on an app built by ``create_app``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

if TYPE_CHECKING:
    import jinja2

WEB_DIR = Path(__file__).resolve().parent
STATIC_PREFIX = "/static"


def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
                             autoescape=jinja2.select_autoescape(["html"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.globals["static"] = lambda path: f"{STATIC_PREFIX}/{path}"
    env.filters["days_ago"] = days_ago
    return env


def days_ago(days: int) -> str:
    """``today``, ``1 day ago``, ``3 days ago`` (``in 2 days`` for a future day)."""
    if days == 0:
        return "today"
    if days < 0:
        return f"in {-days} day{'s' if days != -1 else ''}"
    return f"{days} day{'s' if days != 1 else ''} ago"


def install_web(app: FastAPI) -> None:
    """Add the dashboard pages, their static files and their error pages to ``app``."""
    from hepvision.server.web.auth import CsrfFailed, LoginRequired, PageNotFound
    from hepvision.server.web import manage, monitoring
    from hepvision.server.web.routes import SECURITY_HEADERS, router

    app.state.web_templates = _environment()
    app.include_router(router)
    app.include_router(monitoring.router)  # alerts, RTM time log, progress report
    app.include_router(manage.router)  # patient settings, account and lockouts (issue 15)
    app.mount(STATIC_PREFIX, StaticFiles(directory=WEB_DIR / "static"), name="static")

    async def login_required(request: Request, exc: Exception) -> RedirectResponse:
        assert isinstance(exc, LoginRequired)
        return RedirectResponse(f"/login?next={quote(exc.next_path, safe='/')}",
                                status_code=303, headers={"Cache-Control": "no-store"})

    def error_page(status: int, title: str, message: str
                   ) -> Callable[[Request, Exception], Awaitable[HTMLResponse]]:
        async def handler(request: Request, exc: Exception) -> HTMLResponse:
            env = request.app.state.web_templates
            html = env.get_template("error.html").render(request=request, title=title,
                                                         message=message, user=None)
            return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
        return handler

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(PageNotFound, error_page(
        404, "Not found", "There is no such patient or session among your patients."))
    app.add_exception_handler(CsrfFailed, error_page(
        403, "Form expired", "The form was not accepted (its security token is missing or "
        "stale). Go back, reload the page and send it again."))
