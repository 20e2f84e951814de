"""The local outbox: finished sessions wait here (SQLite) until the server confirms them.

A row is only marked sent after the server answered 201 or 200, so a crash or a kill at any
point leaves it pending and the next sync sends it again; the server's idempotency by session
id turns that resend into a no-op. States: ``pending`` -> ``sent`` | ``rejected`` (the server
refused the record itself; kept for inspection, never resent).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hepvision.upload.device import DeviceConfig, data_dir
from hepvision.upload.errors import UploadError
from hepvision.wire.session import SessionRecord

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    session_id TEXT PRIMARY KEY,
    record_json BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    enqueued_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at REAL
);
CREATE INDEX IF NOT EXISTS ix_outbox_due ON outbox (state, next_attempt_at);
"""


@dataclass(frozen=True, slots=True)
class Item:
    session_id: str
    record_json: bytes
    attempts: int


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    pending: int
    sent: int
    rejected: int
    oldest_pending_at: float | None
    next_attempt_at: float | None
    last_error: str | None


class Outbox:
    """One SQLite file; each call is its own committed transaction."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    @classmethod
    def default(cls, home: str | Path | None = None) -> Outbox:
        return cls(data_dir(home) / "outbox.sqlite3")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, record: SessionRecord | Mapping[str, Any]) -> bool:
        """Queue a record (validated against the wire schema); ``False`` if already queued."""
        try:
            model = (record if isinstance(record, SessionRecord)
                     else SessionRecord.model_validate(record))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise UploadError(f"invalid session record at {where}: {first['msg']}") from None
        cur = self._db.execute(
            "INSERT OR IGNORE INTO outbox (session_id, record_json, enqueued_at) "
            "VALUES (?, ?, ?)", (str(model.session_id), model.model_dump_json().encode(),
                                 time.time()))
        return cur.rowcount == 1

    def due(self, now: float, limit: int = 100) -> list[Item]:
        rows = self._db.execute(
            "SELECT session_id, record_json, attempts FROM outbox WHERE state = 'pending' "
            "AND next_attempt_at <= ? ORDER BY enqueued_at, session_id LIMIT ?", (now, limit))
        return [Item(r[0], bytes(r[1]), r[2]) for r in rows]

    def mark_sent(self, session_id: str, now: float) -> None:
        self._db.execute("UPDATE outbox SET state = 'sent', sent_at = ?, last_error = NULL, "
                         "attempts = attempts + 1 WHERE session_id = ?", (now, session_id))

    def mark_rejected(self, session_id: str, error: str) -> None:
        self._db.execute("UPDATE outbox SET state = 'rejected', last_error = ?, "
                         "attempts = attempts + 1 WHERE session_id = ?", (error, session_id))

    def mark_retry(self, session_id: str, error: str, next_attempt_at: float) -> None:
        self._db.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ?, "
                         "next_attempt_at = ? WHERE session_id = ?",
                         (error, next_attempt_at, session_id))

    def status(self) -> OutboxStatus:
        counts = dict(self._db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state"))
        oldest, nxt = self._db.execute(
            "SELECT MIN(enqueued_at), MIN(next_attempt_at) FROM outbox "
            "WHERE state = 'pending'").fetchone()
        last = self._db.execute(
            "SELECT last_error FROM outbox WHERE last_error IS NOT NULL AND state != 'sent' "
            "ORDER BY enqueued_at DESC LIMIT 1").fetchone()
        return OutboxStatus(pending=counts.get("pending", 0), sent=counts.get("sent", 0),
                            rejected=counts.get("rejected", 0), oldest_pending_at=oldest,
                            next_attempt_at=nxt, last_error=last[0] if last else None)

    def rejected(self) -> list[tuple[str, str]]:
        return [(r[0], r[1] or "") for r in self._db.execute(
            "SELECT session_id, last_error FROM outbox WHERE state = 'rejected' "
            "ORDER BY enqueued_at")]


def enqueue_session(record: SessionRecord | Mapping[str, Any], *,
                    home: str | Path | None = None) -> bool:
    """Queue a finished session for upload; ``False`` (and nothing queued) when the device is
    not enrolled, so ``track`` / ``live`` can call this unconditionally.

    No network here: ``hepvision sync`` uploads. Queuing the same session id twice stores it
    once. Raises :class:`UploadError` for a record that fails the wire schema.
    """
    if not DeviceConfig.exists(home):
        return False
    with Outbox.default(home) as outbox:
        outbox.add(record)
    return True
