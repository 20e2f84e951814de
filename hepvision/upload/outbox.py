"""The local outbox: finished sessions wait here (SQLite) until the server confirms them.

A row is only marked sent after the server answered 201 or 200, so a crash or a kill at any
point leaves it pending and the next sync sends it again; the server's idempotency by session
id turns that resend into a no-op. States: ``pending`` -> ``sent`` | ``rejected`` (the server
refused the record itself; kept for inspection, never resent).

The outbox is a cache of the sessions folder: every queued session is also a file there (see
:mod:`hepvision.upload.recovery`). A corrupt or truncated database is set aside (renamed, kept)
with a one-line warning, and a new outbox is filled from the saved session files of the current
enrolment; sessions the server already has are answered "already there" when sent again.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hepvision.upload.device import DeviceConfig, data_dir, sessions_dir
from hepvision.upload.errors import OutboxDamagedError, UploadError
from hepvision.upload.recovery import SQLITE_COMPANIONS, keep_copy, quarantine, saved_sessions
from hepvision.wire.session import SessionRecord

log = logging.getLogger(__name__)

OUTBOX_NAME = "outbox.sqlite3"
#: SQLite's result codes for a file that is not, or no longer, a sound database.
_DAMAGE_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})

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
    """One SQLite file; each call is its own committed transaction.

    Opening checks the file (``PRAGMA quick_check``); a damaged file raises
    :class:`OutboxDamagedError` (use :meth:`default` / :func:`open_outbox`, which recover).
    Damage found later marks the outbox ``damaged``, and closing it then sets the file aside.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.damaged = False
        with self._guard():  # e.g. a data dir this user cannot write: one line, not a traceback
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            with self._guard():
                self._check()
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                self._db.executescript(_SCHEMA)
        except UploadError:
            self._db.close()
            raise

    @classmethod
    def default(cls, home: str | Path | None = None) -> Outbox:
        """The data dir's outbox, set aside and rebuilt first if damaged (:func:`open_outbox`)."""
        return open_outbox(home)

    def _check(self) -> None:
        problems = [str(row[0]) for row in self._db.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            self.damaged = True
            raise OutboxDamagedError(f"the outbox {self.path} is damaged ({problems[0]})")

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """SQLite errors as one-line :class:`UploadError`; corruption marks ``damaged``."""
        try:
            yield
        except sqlite3.ProgrammingError:
            raise  # a bug here, not a problem with the file
        except sqlite3.DatabaseError as exc:
            if exc.sqlite_errorcode & 0xFF in _DAMAGE_CODES:
                self.damaged = True
                raise OutboxDamagedError(f"the outbox {self.path} is damaged ({exc})") from None
            raise UploadError(f"cannot use the outbox {self.path}: {exc}") from None

    def close(self) -> None:
        """Close; a database found damaged meanwhile is set aside for the next open to rebuild."""
        self._db.close()
        if self.damaged:
            kept = quarantine(self.path, companions=SQLITE_COMPANIONS)
            if kept is not None:
                log.warning("the outbox %s is damaged: set aside as %s; the next command "
                            "rebuilds it from the saved sessions", self.path, kept.name)

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, record: SessionRecord | Mapping[str, Any]) -> bool:
        """Queue a record (validated against the wire schema); ``False`` if already queued."""
        model = validate_record(record)
        return self._insert([(model, time.time())]) == 1

    def requeue(self, records: Iterable[SessionRecord]) -> int:
        """Queue saved records in one transaction, ordered by when each session started;
        returns how many were not queued already."""
        return self._insert([(r, r.started_at.timestamp()) for r in records])

    def _insert(self, rows: list[tuple[SessionRecord, float]]) -> int:
        values = [(str(r.session_id), r.model_dump_json().encode(), at) for r, at in rows]
        with self._guard():
            before = self._db.total_changes
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT OR IGNORE INTO outbox (session_id, record_json, enqueued_at) "
                    "VALUES (?, ?, ?)", values)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return self._db.total_changes - before

    def due(self, now: float, limit: int = 100) -> list[Item]:
        with self._guard():
            rows = self._db.execute(
                "SELECT session_id, record_json, attempts FROM outbox WHERE state = 'pending' "
                "AND next_attempt_at <= ? ORDER BY enqueued_at, session_id LIMIT ?",
                (now, limit)).fetchall()
        return [Item(r[0], bytes(r[1]), r[2]) for r in rows]

    def mark_sent(self, session_id: str, now: float) -> None:
        with self._guard():
            self._db.execute("UPDATE outbox SET state = 'sent', sent_at = ?, last_error = NULL, "
                             "attempts = attempts + 1 WHERE session_id = ?", (now, session_id))

    def mark_rejected(self, session_id: str, error: str) -> None:
        with self._guard():
            self._db.execute("UPDATE outbox SET state = 'rejected', last_error = ?, "
                             "attempts = attempts + 1 WHERE session_id = ?",
                             (error, session_id))

    def mark_retry(self, session_id: str, error: str, next_attempt_at: float) -> None:
        with self._guard():
            self._db.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ?, "
                             "next_attempt_at = ? WHERE session_id = ?",
                             (error, next_attempt_at, session_id))

    def status(self) -> OutboxStatus:
        with self._guard():
            counts = dict(self._db.execute(
                "SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall())
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
        with self._guard():
            rows = self._db.execute(
                "SELECT session_id, last_error FROM outbox WHERE state = 'rejected' "
                "ORDER BY enqueued_at").fetchall()
        return [(r[0], r[1] or "") for r in rows]


def validate_record(record: SessionRecord | Mapping[str, Any]) -> SessionRecord:
    """The record as a :class:`SessionRecord`; a one-line :class:`UploadError` if it is not one."""
    if isinstance(record, SessionRecord):
        return record
    try:
        return SessionRecord.model_validate(record)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UploadError(f"invalid session record at {where}: {first['msg']}") from None


def outbox_path(home: str | Path | None = None) -> Path:
    return data_dir(home) / OUTBOX_NAME


def open_outbox(home: str | Path | None = None) -> Outbox:
    """The data dir's outbox. A damaged one is set aside with a one-line warning and a new one
    is filled from the sessions folder; so is one that is missing or empty (a new device, or a
    file truncated to nothing), silently when it was missing."""
    path = outbox_path(home)
    missing = not path.exists()
    empty = not missing and path.stat().st_size == 0
    try:
        outbox = Outbox(path)
    except OutboxDamagedError as exc:
        kept = quarantine(path, companions=SQLITE_COMPANIONS)
        outbox = _rebuilt(Outbox(path), home)
        log.warning("%s: set aside as %s; %d saved session(s) queued again from %s",
                    exc, kept.name if kept else "(already gone)", outbox.status().pending,
                    sessions_dir(home))
        return outbox
    if missing or empty:
        _rebuilt(outbox, home)
        if empty:
            log.warning("the outbox %s was empty; %d saved session(s) queued again from %s",
                        path, outbox.status().pending, sessions_dir(home))
    return outbox


def _rebuilt(outbox: Outbox, home: str | Path | None) -> Outbox:
    """``outbox`` with the saved sessions of the current enrolment queued (none when the
    device is not enrolled); closed if that fails."""
    try:
        if DeviceConfig.exists(home):
            since = DeviceConfig.load(home).enrolled_since()
            saved = saved_sessions(sessions_dir(home), since=since)
            if saved.unreadable:
                log.debug("not session records, not queued: %s",
                          ", ".join(p.name for p in saved.unreadable))
            outbox.requeue(saved.records)
    except BaseException:
        outbox.close()
        raise
    return outbox


def enqueue_session(record: SessionRecord | Mapping[str, Any], *,
                    home: str | Path | None = None) -> bool:
    """Queue a finished session for upload; ``False`` (and nothing queued) when the device is
    not enrolled, so ``track`` / ``live`` can call this unconditionally.

    The record is first kept in the sessions folder (unless it is saved there already), so a
    damaged outbox can be rebuilt without it being lost. No network here: ``hepvision sync``
    uploads. Queuing the same session id twice stores it once. Raises :class:`UploadError`
    for a record that fails the wire schema.
    """
    if not DeviceConfig.exists(home):
        return False
    model = validate_record(record)
    keep_copy(model, sessions_dir(home))
    for attempt in (1, 2):
        try:
            with Outbox.default(home) as outbox:
                outbox.add(model)
            break
        except OutboxDamagedError:  # damaged mid-use: closing set it aside; rebuild, retry
            if attempt == 2:
                raise
    return True
