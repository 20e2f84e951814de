"""The transport interface between the upload client and the network.

``Transport.request`` sends one request and returns status and body, or raises
:class:`TransportError` when no HTTP answer came (refused, reset, timeout). ``HttpxTransport``
is the real one; tests pass ``MockTransport`` (a function from request to response) or a
transport that calls an in-process app.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from hepvision.upload.errors import TransportError


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes | None = None


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    content: bytes = b""

    def json(self) -> Any:
        return json.loads(self.content or b"null")

    def detail(self) -> str:
        """The server's error message (FastAPI ``detail``), shortened to one line."""
        try:
            detail = self.json().get("detail", "")
        except (ValueError, AttributeError):
            detail = self.content[:200].decode("utf-8", "replace")
        if isinstance(detail, list) and detail:  # pydantic validation errors
            first = detail[0]
            where = ".".join(str(p) for p in first.get("loc", ())[1:])
            detail = f"{where}: {first.get('msg', '')}" if where else first.get("msg", "")
        return " ".join(str(detail).split())[:300]


class Transport(Protocol):
    """Sends one request; raises ``TransportError`` when there is no HTTP answer."""

    def request(self, request: Request, *, timeout_s: float) -> Response: ...

    def close(self) -> None: ...


class HttpxTransport:
    """HTTP(S) through one pooled ``httpx.Client``."""

    def __init__(self, *, verify: bool | str = True) -> None:
        self._client = httpx.Client(verify=verify, follow_redirects=False)

    def request(self, request: Request, *, timeout_s: float) -> Response:
        try:
            r = self._client.request(request.method, request.url, headers=dict(request.headers),
                                     content=request.content, timeout=timeout_s)
        except httpx.HTTPError as exc:  # connect, read, write, timeout, protocol
            raise TransportError(f"{request.url}: {type(exc).__name__}: {exc}") from None
        return Response(r.status_code, r.content)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpxTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MockTransport:
    """A transport that hands each request to ``handler`` (for tests)."""

    def __init__(self, handler: Callable[[Request], Response]) -> None:
        self.handler = handler
        self.requests: list[Request] = []

    def request(self, request: Request, *, timeout_s: float) -> Response:
        self.requests.append(request)
        return self.handler(request)

    def close(self) -> None:
        pass
