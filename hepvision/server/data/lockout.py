"""Login defence: per-address and per-account limits with backoff, and the account lockout.

Policy (constants below):

- **Per address** (:class:`AddressLimiter`, in the memory of each server process): after
  ``ADDRESS_FREE_FAILURES`` failed logins from one address within ``ADDRESS_WINDOW``, each
  further attempt must wait ``ADDRESS_BASE_DELAY_S * 2**k`` (capped at ``MAX_DELAY_S``); an
  attempt during the wait is answered 429 with ``Retry-After`` and costs no password hash and
  no database write.
- **Per account** (columns of ``therapists``, so all processes agree): after
  ``ACCOUNT_FREE_FAILURES`` consecutive failures the account waits ``ACCOUNT_BASE_DELAY_S *
  2**k`` between attempts (429 meanwhile); at ``LOCK_AFTER`` consecutive failures it is
  **locked**: even the right password is refused until a therapist unlocks it (API
  ``POST /therapists/{id}/unlock``, the dashboard's Accounts page, or
  ``hepvision therapist unlock EMAIL``). A successful login resets the count.

Every failed login, lock, refusal of a locked account and unlock is in the audit log. Behind a
reverse proxy the address is the client's only if uvicorn trusts the proxy's
``X-Forwarded-For`` (``--forwarded-allow-ips``; README: Run it for a clinic).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from hepvision.server.data import audit
from hepvision.server.errors import TooManyAttemptsError
from hepvision.server.models import Therapist, utcnow

ADDRESS_WINDOW = timedelta(minutes=15)
ADDRESS_FREE_FAILURES = 10
ADDRESS_BASE_DELAY_S = 1.0
ACCOUNT_FREE_FAILURES = 3
ACCOUNT_BASE_DELAY_S = 0.5
LOCK_AFTER = 8
MAX_DELAY_S = 300.0
MAX_ADDRESSES = 100_000


def backoff_s(failures: int, free: int, base_s: float) -> float:
    """The wait after ``failures`` consecutive failures (0 while ``failures < free``)."""
    if failures < free:
        return 0.0
    return min(MAX_DELAY_S, base_s * 2 ** (failures - free))


def _too_many(wait_s: float, who: str) -> TooManyAttemptsError:
    seconds = max(1, math.ceil(wait_s))
    return TooManyAttemptsError(f"too many failed logins {who}; try again in {seconds} s",
                                seconds)


class AddressLimiter:
    """Failed logins per client address over the last ``ADDRESS_WINDOW`` (thread-safe)."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: datetime) -> deque[datetime]:
        times = self._failures.get(address, deque())
        while times and now - times[0] > ADDRESS_WINDOW:
            times.popleft()
        return times

    def check(self, address: str, now: datetime) -> None:
        """Raise :class:`TooManyAttemptsError` while ``address`` must wait."""
        with self._lock:
            times = self._recent(address, now)
            wait = backoff_s(len(times), ADDRESS_FREE_FAILURES, ADDRESS_BASE_DELAY_S)
            if times and wait:
                left = wait - (now - times[-1]).total_seconds()
                if left > 0:
                    raise _too_many(left, "from this address")

    def failure(self, address: str, now: datetime) -> None:
        with self._lock:
            if len(self._failures) >= MAX_ADDRESSES and address not in self._failures:
                self._failures.clear()  # a flood of spoofed addresses: forget, stay bounded
            times = self._recent(address, now)
            times.append(now)
            self._failures[address] = times

    def failures(self, address: str, now: datetime) -> int:
        with self._lock:
            return len(self._recent(address, now))


def check_account(failed: int, last_failed_at: datetime | None, now: datetime) -> None:
    """Raise :class:`TooManyAttemptsError` while the account's backoff lasts."""
    wait = backoff_s(failed, ACCOUNT_FREE_FAILURES, ACCOUNT_BASE_DELAY_S)
    if wait and last_failed_at is not None:
        left = wait - (now - last_failed_at).total_seconds()
        if left > 0:
            raise _too_many(left, "for this account")


def record_failure(db: Session, therapist_id: int, now: datetime) -> bool:
    """Count a failed login of the account (one short write); ``True`` if it is now locked."""
    db.execute(update(Therapist).where(Therapist.id == therapist_id).values(
        failed_logins=Therapist.failed_logins + 1, last_failed_login_at=now))
    failed = int(db.scalar(select(Therapist.failed_logins)
                           .where(Therapist.id == therapist_id)) or 0)
    locked = failed >= LOCK_AFTER
    if locked:
        claimed = cast(CursorResult[Any], db.execute(update(Therapist).where(
            Therapist.id == therapist_id, Therapist.locked_at.is_(None)).values(locked_at=now)))
        if claimed.rowcount == 1:
            audit.record(db, actor_kind="anonymous", actor_id=None, action="lock",
                         resource="therapist", resource_id=therapist_id,
                         therapist_id=therapist_id,
                         detail=f"locked after {failed} failed logins")
    return locked


def reset(db: Session, therapist_id: int) -> None:
    db.execute(update(Therapist).where(Therapist.id == therapist_id, Therapist.failed_logins > 0)
               .values(failed_logins=0, last_failed_login_at=None))


def locked_accounts(db: Session) -> list[Therapist]:
    """Accounts locked now (every therapist may see them: there is no admin role)."""
    return list(db.scalars(select(Therapist).where(Therapist.locked_at.is_not(None))
                           .order_by(Therapist.locked_at)))


def unlock(db: Session, target: Therapist, *, actor_kind: str, actor_id: int | None) -> bool:
    """Clear the lock and the failure count (audited); ``False`` if it was not locked."""
    was_locked = target.locked_at is not None
    target.locked_at = None
    target.failed_logins = 0
    target.last_failed_login_at = None
    audit.record(db, actor_kind=actor_kind, actor_id=actor_id, action="unlock",
                 resource="therapist", resource_id=target.id, therapist_id=target.id,
                 detail="was locked" if was_locked else "was not locked")
    db.commit()
    return was_locked



class LoginThrottle:
    """ASGI middleware: a login attempt from an address that must wait is answered 429 before
    routing, body parsing or any database work, and only after a pause (at most
    ``TARPIT_S``) spent awaiting, not in a thread: a flooding client gets a handful of answers
    a second and costs the server next to nothing, so everyone else stays fast. The limiter
    is the app's ``state.login_limiter``."""

    TARPIT_S = 1.0

    def __init__(self, app: Any, paths: frozenset[str]) -> None:
        self.app, self.paths = app, paths

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        import asyncio

        from starlette.responses import HTMLResponse, JSONResponse, Response

        if (scope["type"] == "http" and scope["method"] == "POST"
                and scope["path"] in self.paths):
            client = scope.get("client")
            address = client[0] if client else "unknown"
            try:
                limiter: AddressLimiter = scope["app"].state.login_limiter
                limiter.check(address, utcnow())
            except TooManyAttemptsError as exc:
                await asyncio.sleep(min(self.TARPIT_S, exc.retry_after_s))
                headers = {"Retry-After": str(exc.retry_after_s)}
                response: Response = JSONResponse({"detail": str(exc)}, 429, headers) if (
                    scope["path"].startswith("/api/")) else HTMLResponse(
                    f"<!doctype html><title>Too many attempts</title><p>{exc} "
                    '(<a href="/login">back to the login</a>).</p>', 429, headers)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
