"""``create_app(settings)``: the FastAPI application, built explicitly (nothing at import)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hepvision import __version__
from hepvision.phone import pipeline_installed
from hepvision.phone.routes import install_phone
from hepvision.server.api.main import api_router
from hepvision.server.api.responses import install_error_handlers
from hepvision.server.core.config import Settings
from hepvision.server.core.headers import SecurityHeaders
from hepvision.server.core.security import Security
from hepvision.server.data.lockout import AddressLimiter, LoginThrottle
from hepvision.server.data.prescriptions import known_template_ids
from hepvision.server.database import make_engine, make_sessionmaker, upgrade_database
from hepvision.server.web import install_web
from hepvision.server.web.docs import install_docs


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` with 413, whatever Content-Length claims."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        seen = 0
        exceeded = started = False

        async def limited() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # Once the limit is hit, whatever the app answers (its body parser turns our
            # exception into a 400) is replaced by the 413 below.
            nonlocal started
            if exceeded:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, guarded_send)
        except _TooLarge:
            pass
        if exceeded and not started:
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse({"detail": f"request body over {self.max_bytes} bytes"}, 413)
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


def create_app(settings: Settings, *, migrate: bool = True,
               template_ids: Callable[[], Collection[str] | None] = known_template_ids
               ) -> FastAPI:
    """The server for ``settings``. ``migrate`` upgrades the schema at start-up."""
    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size,
                         echo=settings.sql_echo)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    if migrate:
        upgrade_database(engine)
    app = FastAPI(
        title="hepvision therapist server",
        version=__version__,
        summary="Prescriptions, session uploads and ROM trends for home exercise programs.",
        description="All routes live under `/api/v1`. Only `/health`, `/auth/login` and "
        "`/devices/enrol` answer without a bearer token. Therapist tokens come from "
        "`/auth/login`; device tokens from `/devices/enrol` and are scoped to one patient.",
        # /openapi.json and /docs (vendored Swagger UI) come from hepvision.server.web.docs,
        # behind login in production; ReDoc (CDN-only) is off.
        openapi_url=None, docs_url=None, redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.security = Security(settings.secret_key.get_secret_value(),
                                  time_cost=settings.argon2_time_cost,
                                  memory_kib=settings.argon2_memory_kib)
    app.state.template_ids = template_ids
    app.state.login_limiter = AddressLimiter()  # failed logins per address (data.lockout)
    app.include_router(api_router)
    install_error_handlers(app)
    install_web(app)  # the therapist dashboard pages (hepvision.server.web)
    install_docs(app)
    if pipeline_installed():  # the patient's phone page and landmark socket
        install_phone(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_session_bytes)
    app.add_middleware(LoginThrottle, paths=frozenset({"/api/v1/auth/login", "/login"}))
    app.add_middleware(SecurityHeaders)  # outermost: also on 413s and error pages
    return app
