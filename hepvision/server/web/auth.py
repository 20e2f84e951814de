"""Cookie sessions and CSRF protection for the dashboard pages.

- The session cookie carries a therapist access token issued by the same
  :func:`accounts.login` the API uses (so expiry, logout and revocation are the same rows);
  it is ``HttpOnly``, ``SameSite=Lax``, ``Path=/``, expires with the token, and ``Secure``
  when the request came over HTTPS or the server runs in production.
- Every POST form carries a CSRF token. Signed in, it is an HMAC of the session token (under
  the server secret), so it cannot be guessed without the cookie and dies with the session.
  The login form (no session yet) uses a double-submit cookie (random value in a cookie and in
  the form). A POST whose ``Origin`` header names another site is refused as well.
- The caller of a page is resolved with :func:`accounts.resolve_token` and a patient with
  :func:`accounts.owned_patient`: the same rules as the API's ``OwnedPatientDep`` (another
  therapist's patient is "not found").
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import parse_qsl, urlsplit

from fastapi import Depends, Request
from starlette.responses import Response

from hepvision.server.api.deps import SecurityDep, SessionDep
from hepvision.server.core.config import Settings
from hepvision.server.core.security import Security
from hepvision.server.data import accounts
from hepvision.server.errors import AuthError, NotFoundError
from hepvision.server.models import Patient, Therapist

SESSION_COOKIE = "hv_session"
LOGIN_CSRF_COOKIE = "hv_login_csrf"
CSRF_FIELD = "csrf_token"
MAX_FORM_BYTES = 200_000


class LoginRequired(Exception):
    """No valid session: the page answers with a redirect to the login form."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageNotFound(Exception):
    """A patient or session that does not exist or belongs to another therapist."""


class CsrfFailed(Exception):
    """A POST without a valid CSRF token or from another origin."""


def secure_cookies(request: Request, settings: Settings) -> bool:
    return request.url.scheme == "https" or settings.environment == "production"


def set_session_cookie(response: Response, request: Request, settings: Settings,
                       token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.access_token_minutes * 60,
                        path="/", httponly=True, samesite="lax",
                        secure=secure_cookies(request, settings))


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


def csrf_for_session(sec: Security, session_token: str) -> str:
    return sec.digest("csrf", session_token)


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def safe_next(path: str | None) -> str:
    """A local path to return to after login (never another host)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/patients"
    return path


async def read_form(request: Request) -> dict[str, list[str]]:
    """The urlencoded body as ``{name: [values]}`` (no multipart: the pages post none)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise CsrfFailed("form too large")
    out: dict[str, list[str]] = {}
    for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True,
                                max_num_fields=2000):
        out.setdefault(key, []).append(value)
    return out


def check_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise CsrfFailed("cross-origin form post")


def check_csrf(request: Request, form: dict[str, list[str]], expected: str) -> None:
    check_origin(request)
    given = (form.get(CSRF_FIELD) or [""])[0]
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise CsrfFailed("missing or wrong CSRF token")


class WebUser:
    """The signed-in therapist of a page request, with the form token for their session."""

    __slots__ = ("csrf_token", "principal", "therapist")

    def __init__(self, therapist: Therapist, principal: accounts.Principal,
                 csrf_token: str) -> None:
        self.therapist = therapist
        self.principal = principal
        self.csrf_token = csrf_token


def get_web_user(request: Request, db: SessionDep, sec: SecurityDep) -> WebUser:
    token = request.cookies.get(SESSION_COOKIE)
    next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not token:
        raise LoginRequired(next_path)
    try:
        principal = accounts.resolve_token(db, sec, token)
    except AuthError:
        raise LoginRequired(next_path) from None
    if principal.therapist is None:
        raise LoginRequired(next_path)
    return WebUser(principal.therapist, principal, csrf_for_session(sec, token))


WebUserDep = Annotated[WebUser, Depends(get_web_user)]


def get_web_patient(patient_id: int, user: WebUserDep, db: SessionDep) -> Patient:
    if not 1 <= patient_id <= 2**31 - 1:
        raise PageNotFound()
    try:
        return accounts.owned_patient(db, user.therapist, patient_id)
    except NotFoundError:
        raise PageNotFound() from None


WebPatientDep = Annotated[Patient, Depends(get_web_patient)]
