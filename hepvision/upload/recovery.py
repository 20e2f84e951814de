"""What a device does with a damaged file: set it aside, never delete it, and rebuild.

- :func:`quarantine` renames a damaged file (and SQLite's ``-wal``/``-shm`` companions) with a
  ``.damaged-<UTC time>`` suffix, so it can still be inspected or recovered by hand.
- :func:`keep_copy` writes a queued session into the sessions folder when it is not there yet
  (``track`` and ``live --out`` save elsewhere), so the folder holds every queued session.
- :func:`saved_sessions` reads the sessions folder back: the outbox is rebuilt from it.

A saved session file is the wire :class:`SessionRecord`, optionally with local fields
(``live`` adds its frame-rate and latency figures); only the wire fields are read back.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from hepvision.wire.session import SessionRecord

#: Companion files SQLite keeps next to a database in WAL mode.
SQLITE_COMPANIONS = ("-wal", "-shm")


def quarantine(path: Path, *, companions: tuple[str, ...] = (),
               label: str = "damaged") -> Path | None:
    """Rename ``path`` to ``<name>.<label>-<UTC time>`` (the companions alike); the new path,
    or ``None`` when ``path`` is gone already (another process set it aside first)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    kept = path.with_name(f"{path.name}.{label}-{stamp}")
    try:
        path.rename(kept)
    except FileNotFoundError:
        return None
    for suffix in companions:
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            extra.rename(kept.with_name(kept.name + suffix))
    return kept


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file, flush it to disk, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def session_file(folder: Path, record: SessionRecord) -> Path:
    return folder / f"{record.session_id}.json"


def keep_copy(record: SessionRecord, folder: Path) -> bool:
    """Save ``record`` as ``<folder>/<session_id>.json`` unless a file of that session exists
    (``live`` saved it there with its local fields); ``True`` when a copy was written."""
    path = session_file(folder, record)
    if path.exists():
        return False
    write_atomically(path, json.dumps(record.model_dump(mode="json"), indent=2) + "\n")
    return True


@dataclass(frozen=True, slots=True)
class SavedSessions:
    """The session records of a sessions folder, oldest first; ``unreadable``: files that are
    not a session record (not JSON, or failing the wire schema)."""

    records: tuple[SessionRecord, ...]
    unreadable: tuple[Path, ...]


def saved_sessions(folder: Path, *, since: datetime | None) -> SavedSessions:
    """Every session record saved in ``folder`` that started at or after ``since``."""
    records: list[SessionRecord] = []
    unreadable: list[Path] = []
    paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
    for path in paths:
        record = _read_record(path)
        if record is None:
            unreadable.append(path)
        elif since is None or record.started_at >= since:
            records.append(record)
    records.sort(key=lambda r: (r.started_at, str(r.session_id)))
    return SavedSessions(tuple(records), tuple(unreadable))


def _read_record(path: Path) -> SessionRecord | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict):
        return None
    wire = {k: v for k, v in raw.items() if k in SessionRecord.model_fields}
    try:
        return SessionRecord.model_validate(wire)
    except ValidationError:
        return None
