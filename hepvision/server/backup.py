"""``hepvision backup`` / ``hepvision restore``: every row of every table, portable between
SQLite and PostgreSQL and independent of the ``pg_dump`` version.

The file is gzip-compressed JSON Lines: a header line (format, schema revision, time, row
counts), then one line per row (``{"t": table, "r": [values in column order]}``), tables in
dependency order. Values are written as JSON (times ISO 8601 with offset, UUIDs as text) and
read back by the column types, so a backup of SQLite restores into PostgreSQL and back.

The backup reads in one transaction (a consistent snapshot: ``REPEATABLE READ`` on
PostgreSQL; on SQLite writers wait while it runs). The restore brings an empty database to the
backup's schema revision, inserts every row in one transaction, moves PostgreSQL's id
sequences past the restored ids, then upgrades the schema to this version's head.
"""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Date, DateTime, Engine, Integer, Table, Uuid, func, select, text

from hepvision.server.errors import ConfigError, ConflictError
from hepvision.server.models import Base, UTCDateTime, utcnow

FORMAT = "hepvision-backup"
FORMAT_VERSION = 1
BATCH = 1000


@dataclass(frozen=True, slots=True)
class BackupSummary:
    """What a backup wrote or a restore read: the schema revision and rows per table."""

    revision: str
    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _revision(conn: Connection) -> str:
    try:
        return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())
    except Exception:  # noqa: BLE001 - a missing table is dialect-specific
        raise ConfigError("the database has no hepvision schema (run hepvision serve once, "
                          "or restore into it)") from None


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _decoder(table: Table) -> list[Any]:
    out: list[Any] = []
    for column in table.columns:
        kind = column.type
        if isinstance(kind, Uuid):
            out.append(uuid.UUID)
        elif isinstance(kind, DateTime | UTCDateTime):
            out.append(datetime.fromisoformat)
        elif isinstance(kind, Date):
            out.append(date.fromisoformat)
        else:
            out.append(None)
    return out


def backup(engine: Engine, path: Path) -> BackupSummary:
    """Write every row of every table of ``engine``'s database to ``path``."""
    tables = Base.metadata.sorted_tables
    tmp = path.with_name(path.name + ".partial")
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            revision = _revision(conn)
            counts = {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                      for t in tables}
            with gzip.open(tmp, "wt", encoding="utf-8") as out:
                out.write(json.dumps({"format": FORMAT, "version": FORMAT_VERSION,
                                      "revision": revision, "created_at": utcnow().isoformat(),
                                      "dialect": conn.dialect.name, "rows": counts}) + "\n")
                for table in tables:
                    order = list(table.primary_key.columns) or list(table.columns)
                    for row in conn.execute(select(table).order_by(*order)).yield_per(BATCH):
                        out.write(json.dumps({"t": table.name,
                                              "r": [_encode(v) for v in row]},
                                             separators=(",", ":")) + "\n")
    tmp.replace(path)
    return BackupSummary(revision, counts)


def _lines(handle: IO[str]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(handle, start=2):
        try:
            yield json.loads(line)
        except ValueError:
            raise ConfigError(f"backup line {number} is not JSON (file damaged?)") from None


def read_header(path: Path) -> dict[str, Any]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            header = json.loads(handle.readline())
    except (OSError, ValueError, EOFError):
        raise ConfigError(f"{path} is not a hepvision backup (gzip JSON Lines)") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ConfigError(f"{path} is not a hepvision backup")
    if header.get("version") != FORMAT_VERSION:
        raise ConfigError(f"{path}: backup format version {header.get('version')} is not "
                          f"{FORMAT_VERSION}")
    return header


def _is_empty(conn: Connection) -> bool:
    return all(conn.execute(select(func.count()).select_from(t)).scalar_one() == 0
               for t in Base.metadata.sorted_tables)


def restore(engine: Engine, path: Path, *, replace: bool = False) -> BackupSummary:
    """Restore ``path`` into ``engine``'s database (empty, or emptied first with ``replace``).

    Raises ConflictError when the database holds data and ``replace`` is false.
    """
    from hepvision.server.database import upgrade_database

    header = read_header(path)
    upgrade_database(engine, header["revision"])
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    counts = dict.fromkeys(tables, 0)
    with engine.begin() as conn:
        if not _is_empty(conn):
            if not replace:
                raise ConflictError("the database is not empty; restore into a new database "
                                    "or pass --replace to delete its rows first")
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
        decoders = {name: _decoder(t) for name, t in tables.items()}
        batch: list[dict[str, Any]] = []
        current: str | None = None
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            handle.readline()
            for item in _lines(handle):
                name = item.get("t")
                if name not in tables:
                    raise ConfigError(f"backup has rows of an unknown table {name!r}")
                if name != current and batch:
                    conn.execute(tables[str(current)].insert(), batch)
                    batch = []
                current = name
                batch.append(_row(tables[name], decoders[name], item["r"]))
                counts[name] += 1
                if len(batch) >= BATCH:
                    conn.execute(tables[name].insert(), batch)
                    batch = []
        if batch and current is not None:
            conn.execute(tables[current].insert(), batch)
        if conn.dialect.name == "postgresql":
            _advance_sequences(conn)
    upgrade_database(engine)
    expected = {k: int(v) for k, v in header.get("rows", {}).items()}
    if expected and {k: v for k, v in counts.items() if v or k in expected} != expected:
        raise ConfigError(f"backup incomplete: header says {expected}, file has {counts}")
    return BackupSummary(str(header["revision"]), counts)


def _row(table: Table, decoders: list[Any], values: list[Any]) -> dict[str, Any]:
    if len(values) != len(table.columns):
        raise ConfigError(f"backup row of {table.name} has {len(values)} values, the table "
                          f"{len(table.columns)} columns")
    return {c.key: (d(v) if d is not None and v is not None else v)
            for c, d, v in zip(table.columns, decoders, values, strict=True)}


def _advance_sequences(conn: Connection) -> None:
    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, Integer):
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                f"COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"))
