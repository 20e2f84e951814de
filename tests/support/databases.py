"""Fresh, empty databases for server tests: SQLite in a temporary folder, or a new database on
the PostgreSQL server named by ``HEPVISION_TEST_POSTGRES_URL`` (skipped when unset)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

POSTGRES_ENV = "HEPVISION_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")


def fresh_database(kind: str, tmp: Path, prefix: str = "hv_test") -> Iterator[str]:
    """Yield the URL of a new, empty database of ``kind`` (dropped afterwards on PostgreSQL)."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / f'{prefix}.db'}"
        return
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is unset; run "
                    "'eval \"$(bash .ci/postgres.sh)\"' to test against PostgreSQL")
    base = make_url(url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
