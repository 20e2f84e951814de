"""Error bodies of the API, as documented in its OpenAPI schema.

Every 4xx answer has one of two bodies:

- ``{"detail": "message"}`` (:class:`ErrorDetail`): 400, 401, 403, 404, 409, 413;
- ``{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`` (FastAPI's
  ``HTTPValidationError``): 422, for the request's shape and for data that fails the server's
  own checks (an unknown exercise, a session dated before the patient existed).

:data:`ERROR_RESPONSES` documents them on every route; :func:`unprocessable` raises a 422 in the
second shape; :func:`install_error_handlers` makes the 422 body JSON-safe (a ``NaN`` in the
request would otherwise be echoed back and break the response).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel


class ErrorDetail(BaseModel):
    """An error with a one-line message."""

    detail: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorDetail, "description": "malformed request"},
    401: {"model": ErrorDetail, "description": "no, unknown or expired token"},
    403: {"model": ErrorDetail, "description": "the token may not do this"},
    404: {"model": ErrorDetail, "description": "no such resource among the caller's"},
    409: {"model": ErrorDetail, "description": "conflicts with stored data"},
    413: {"model": ErrorDetail, "description": "request body too large"},
    429: {"model": ErrorDetail, "description": "too many attempts; retry after Retry-After"},
}


def unprocessable(message: str, loc: Sequence[str | int] = ("body",)) -> RequestValidationError:
    """A 422 with the documented validation body (raise it from a route)."""
    return RequestValidationError([{"loc": tuple(loc), "msg": message, "type": "value_error"}])


def _safe(errors: Sequence[Any]) -> list[dict[str, Any]]:
    return [{"loc": [p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
             "msg": str(e.get("msg", "")), "type": str(e.get("type", "value_error"))}
            for e in errors]


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": _safe(exc.errors())}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
