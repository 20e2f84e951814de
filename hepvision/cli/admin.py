"""``hepvision therapist list | reset-password | unlock`` and ``hepvision backup | restore``.

Registered by :mod:`hepvision.cli.server` (which owns ``serve`` and ``therapist create``).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from hepvision.cli.server import _open_db, _read_password, _settings

log = logging.getLogger(__name__)


def add_therapist_actions(tsub: argparse._SubParsersAction,
                          common: argparse.ArgumentParser) -> None:
    tl = tsub.add_parser("list", parents=[common], help="list therapist accounts",
                         description="List therapist accounts with their login lockout.")
    tl.set_defaults(handler=run_therapist_list)
    tr = tsub.add_parser("reset-password", parents=[common], help="set a new password",
                         description="Set a therapist's password (prompt, or --password-stdin)"
                         "; their sessions are signed out and a lockout is cleared.")
    tr.add_argument("email", metavar="EMAIL")
    tr.add_argument("--password-stdin", action="store_true",
                    help="read the password from the first line of standard input")
    tr.set_defaults(handler=run_therapist_reset_password)
    tu = tsub.add_parser("unlock", parents=[common], help="clear a login lockout",
                         description="Clear the lockout after repeated failed logins.")
    tu.add_argument("email", metavar="EMAIL")
    tu.set_defaults(handler=run_therapist_unlock)


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    b = sub.add_parser("backup", parents=[common], help="back up the server's database",
                       description="Write every row of every table to FILE (gzip JSON "
                       "Lines; SQLite or PostgreSQL, restorable into either). Consistent "
                       "while the server runs.")
    b.add_argument("file", metavar="FILE", type=Path)
    b.set_defaults(handler=run_backup)
    r = sub.add_parser("restore", parents=[common], help="restore a backup",
                       description="Restore FILE into an empty database (or --replace the "
                       "rows of a used one), then upgrade its schema to this version.")
    r.add_argument("file", metavar="FILE", type=Path)
    r.add_argument("--replace", action="store_true",
                   help="delete every row of the target database first")
    r.set_defaults(handler=run_restore)


def run_therapist_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from hepvision.server.models import Therapist

    with _open_db(_settings(args)) as (sessions, _sec), sessions() as db:
        rows = list(db.scalars(select(Therapist).order_by(Therapist.id)))
        print(f"{'id':>4}  {'email':<40} {'active':<6} {'failed':>6}  locked")
        for t in rows:
            locked = t.locked_at.isoformat(timespec="minutes") if t.locked_at else "-"
            print(f"{t.id:>4}  {t.email:<40} {'yes' if t.is_active else 'no':<6} "
                  f"{t.failed_logins:>6}  {locked}")
    return 0


def run_therapist_reset_password(args: argparse.Namespace) -> int:
    from hepvision.server.data import accounts, lockout

    password = _read_password(args)
    with _open_db(_settings(args)) as (sessions, sec), sessions() as db:
        therapist = accounts.therapist_by_email(db, args.email)
        accounts.set_password(db, sec, therapist, password, actor_kind="cli", actor_id=None)
        lockout.unlock(db, therapist, actor_kind="cli", actor_id=None)
        print(f"password of {therapist.email} changed; their sessions are signed out")
    return 0


def run_therapist_unlock(args: argparse.Namespace) -> int:
    from hepvision.server.data import accounts, lockout

    with _open_db(_settings(args)) as (sessions, _sec), sessions() as db:
        therapist = accounts.therapist_by_email(db, args.email)
        was = lockout.unlock(db, therapist, actor_kind="cli", actor_id=None)
        print(f"{therapist.email} unlocked" if was else f"{therapist.email} was not locked")
    return 0


def run_backup(args: argparse.Namespace) -> int:
    from hepvision.server.backup import backup
    from hepvision.server.database import make_engine

    settings = _settings(args)
    engine = make_engine(settings.database_url)
    try:
        with _open_db(settings):
            pass  # migrated and reachable
        summary = backup(engine, args.file)
    finally:
        engine.dispose()
    print(f"{summary.total} rows of {len(summary.rows)} tables (schema {summary.revision}) "
          f"written to {args.file}")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from hepvision.server.backup import restore
    from hepvision.server.database import make_engine
    from hepvision.server.errors import ConfigError

    if not args.file.is_file():
        raise ConfigError(f"backup file not found: {args.file}")
    settings = _settings(args)
    engine = make_engine(settings.database_url)
    try:
        summary = restore(engine, args.file, replace=args.replace)
    finally:
        engine.dispose()
    print(f"{summary.total} rows of {len(summary.rows)} tables restored from {args.file} "
          f"(schema {summary.revision}, now upgraded)")
    return 0
