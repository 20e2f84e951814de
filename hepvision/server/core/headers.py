"""Security headers on every response (:class:`SecurityHeaders`, an ASGI middleware).

Every response gets ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` and
``X-Frame-Options: DENY``; ``Strict-Transport-Security`` when the request came over HTTPS
(``serve --tls-cert``, or a proxy that says so in ``X-Forwarded-Proto``, which uvicorn turns
into the scheme for trusted proxies). HTML responses without a ``Content-Security-Policy`` of
their own get :data:`DASHBOARD_CSP`; JSON and other data get :data:`API_CSP` (nothing may load,
nothing may frame it). Scripts, WebAssembly and style sheets get no policy: a policy on a
script would bind a Web Worker started from it (the phone page's pose model runs in one). A
route that sets its own policy (a page with stricter or different needs) keeps it: the
middleware only fills in headers that are missing.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DASHBOARD_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                 "script-src 'self'; frame-ancestors 'none'; form-action 'self'; "
                 "base-uri 'none'; object-src 'none'")
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
HSTS = "max-age=31536000"
#: Content types served without a policy of their own (see the module docstring).
ASSET_TYPES = ("text/javascript", "application/javascript", "application/wasm", "text/css")

BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """Add the headers above to every HTTP response of ``app`` that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in BASE_HEADERS.items():
                    headers.setdefault(name, value)
                kind = headers.get("content-type", "")
                if kind.startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", DASHBOARD_CSP)
                elif not kind.startswith(ASSET_TYPES):
                    headers.setdefault("Content-Security-Policy", API_CSP)
                if https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, with_headers)
