"""``hepvision serve``, ``hepvision therapist create`` and ``hepvision patient create``
(the other therapist actions, backup and restore: :mod:`hepvision.cli.admin`)."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import ipaddress
import logging
import os
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

log = logging.getLogger(__name__)


def _db_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", metavar="URL",
                        help="SQLAlchemy URL (default: $HEPVISION_DATABASE_URL or a SQLite file "
                        "in $HEPVISION_HOME/server)")
    common.add_argument("--env-file", metavar="FILE",
                        help="read HEPVISION_* settings from this file as well")
    return common


def add_parsers(sub: argparse._SubParsersAction) -> None:
    common = _db_options()
    s = sub.add_parser(
        "serve", parents=[common], help="run the therapist server (HTTP API under /api/v1)",
        description="Run the therapist server. The schema is migrated first. Settings come "
        "from HEPVISION_* environment variables (see hepvision.server.core.config); outside "
        "HEPVISION_ENVIRONMENT=development a real HEPVISION_SECRET_KEY is required. The API "
        "is described at /openapi.json.")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    s.add_argument("--workers", type=int, default=1, metavar="N",
                   help="server processes sharing the database (PostgreSQL for N > 1); they "
                   "exit when this process dies")
    s.add_argument("--tls-cert", metavar="FILE",
                   help="serve HTTPS with this PEM certificate (chain); needs --tls-key")
    s.add_argument("--tls-key", metavar="FILE", help="the certificate's PEM private key")
    s.set_defaults(handler=run_serve)

    t = sub.add_parser("therapist", help="manage therapist accounts")
    tsub = t.add_subparsers(dest="therapist_command", metavar="ACTION", required=True)
    tc = tsub.add_parser("create", parents=[common], help="create a therapist account",
                         description="Create a therapist account; the password is read from "
                         "a prompt, or from standard input with --password-stdin.")
    tc.add_argument("email", metavar="EMAIL")
    tc.add_argument("--name", default="", help="full name")
    tc.add_argument("--password-stdin", action="store_true",
                    help="read the password from the first line of standard input")
    tc.set_defaults(handler=run_therapist_create)
    from hepvision.cli import admin  # list, reset-password, unlock; backup and restore

    admin.add_therapist_actions(tsub, common)
    admin.add_parsers(sub, common)

    p = sub.add_parser("patient", help="manage patients")
    psub = p.add_subparsers(dest="patient_command", metavar="ACTION", required=True)
    pc = psub.add_parser("create", parents=[common], help="enrol a patient",
                         description="Enrol a patient for a therapist and print the one-time "
                         "enrolment code for the patient's device (hepvision enroll CODE).")
    pc.add_argument("name", metavar="NAME", help="patient display name")
    pc.add_argument("--therapist", required=True, metavar="EMAIL")
    pc.add_argument("--timezone", default="UTC", help="IANA time zone (default: UTC)")
    pc.add_argument("--external-ref", metavar="REF", help="clinic record number")
    pc.set_defaults(handler=run_patient_create)


def _settings(args: argparse.Namespace) -> Any:
    from hepvision.server.core.config import load_settings

    return load_settings(env_file=args.env_file, database_url=args.database_url)


@contextlib.contextmanager
def _open_db(settings: Any) -> Iterator[tuple[Any, Any]]:
    """(session factory, security) on a migrated database; the engine is closed after."""
    from sqlalchemy.exc import OperationalError

    from hepvision.server.core.security import Security
    from hepvision.server.database import make_engine, make_sessionmaker, upgrade_database
    from hepvision.server.errors import ConfigError

    engine = make_engine(settings.database_url)
    try:
        try:
            upgrade_database(engine)
        except OperationalError as exc:
            first = str(exc.orig).strip().splitlines()[0]
            raise ConfigError(f"cannot open the database: {first}") from None
        sec = Security(settings.secret_key.get_secret_value(),
                       time_cost=settings.argon2_time_cost,
                       memory_kib=settings.argon2_memory_kib)
        yield make_sessionmaker(engine), sec
    finally:
        engine.dispose()


def _tls_files(args: argparse.Namespace) -> tuple[str, str] | None:
    from hepvision.server.errors import ConfigError

    if args.tls_cert is None and args.tls_key is None:
        return None
    if args.tls_cert is None or args.tls_key is None:
        raise ConfigError("--tls-cert and --tls-key go together")
    for flag, path in (("--tls-cert", args.tls_cert), ("--tls-key", args.tls_key)):
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            raise ConfigError(f"{flag}: cannot read {path}")
    return str(args.tls_cert), str(args.tls_key)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _check_exposure(settings: Any, host: str, tls: bool) -> None:
    """Refuse the default secret off loopback; warn loudly about cleartext cookies there."""
    from hepvision.server.errors import ConfigError

    if _is_loopback(host):
        return
    if settings.uses_default_secret:
        raise ConfigError("refusing to listen on a non-loopback address with the default "
                          "secret key: set HEPVISION_SECRET_KEY")
    if settings.environment == "development" and not tls:
        for line in ("*" * 72,
                     f"DEVELOPMENT MODE ON {host}: session cookies are sent WITHOUT the "
                     "Secure flag",
                     "and passwords and patient data cross the network in CLEARTEXT unless "
                     "a TLS proxy",
                     "sits in front. For a clinic set HEPVISION_ENVIRONMENT=production and use "
                     "--tls-cert/--tls-key or a reverse proxy (README: Run it for a clinic).",
                     "*" * 72):
            log.warning("%s", line)


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from hepvision.server.database import make_engine, upgrade_database
    from hepvision.server.errors import ConfigError

    settings = _settings(args)
    tls = _tls_files(args)
    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    if args.workers > 1 and settings.is_sqlite:
        log.warning("several workers on SQLite serialise their writes; use PostgreSQL")
    _check_exposure(settings, args.host, tls is not None)
    engine = make_engine(settings.database_url)
    upgrade_database(engine)
    engine.dispose()
    # Workers build their own app from the environment: hand the command-line settings down.
    os.environ["HEPVISION_DATABASE_URL"] = settings.database_url
    if args.env_file:
        os.environ["HEPVISION_ENV_FILE"] = str(args.env_file)
    if args.workers > 1:  # each worker exits when this process dies (hepvision.server.lifeline)
        os.environ["HEPVISION_SUPERVISOR_PID"] = str(os.getpid())
    scheme = "https" if tls else "http"
    log.info("serving on %s://%s:%d/api/v1 (database: %s)", scheme, args.host, args.port,
             settings.database_url.split("@")[-1])
    uvicorn.run("hepvision.server.asgi:app_from_env", factory=True, host=args.host,
                port=args.port, workers=args.workers, log_level="warning",
                ssl_certfile=tls[0] if tls else None, ssl_keyfile=tls[1] if tls else None)
    return 0


def _read_password(args: argparse.Namespace) -> str:
    from hepvision.server.errors import InvalidInputError

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise InvalidInputError("the passwords differ")
    if not password:
        raise InvalidInputError("empty password")
    return password


def run_therapist_create(args: argparse.Namespace) -> int:
    from pydantic import TypeAdapter, ValidationError

    from hepvision.server.data import accounts
    from hepvision.server.errors import InvalidInputError
    from hepvision.server.schemas import Email

    try:  # the login form accepts only this shape: an account without it could never log in
        TypeAdapter(Email).validate_python(args.email)
    except ValidationError:
        raise InvalidInputError(f"{args.email!r} is not an email address") from None
    settings = _settings(args)
    password = _read_password(args)
    with _open_db(settings) as (sessions, sec), sessions() as db:
        therapist = accounts.create_therapist(db, sec, email=args.email, password=password,
                                              full_name=args.name)
        print(f"therapist {therapist.email} created (id {therapist.id})")
    return 0


def run_patient_create(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from hepvision.server.data import accounts
    from hepvision.server.errors import InvalidInputError
    from hepvision.server.schemas import PatientCreate

    settings = _settings(args)
    try:
        data = PatientCreate(display_name=args.name, timezone=args.timezone,
                             external_ref=args.external_ref)
    except ValidationError as exc:
        raise InvalidInputError(exc.errors()[0]["msg"]) from None
    with _open_db(settings) as (sessions, sec), sessions() as db:
        therapist = accounts.therapist_by_email(db, args.therapist)
        patient, code = accounts.create_patient(
            db, sec, therapist, data, actor_kind="cli",
            code_lifetime=timedelta(hours=settings.enrolment_code_hours))
        assert code.expires_at is not None
        log.info("patient %r enrolled (id %d); the code below works once, until %s",
                 patient.display_name, patient.id, code.expires_at.isoformat(timespec="minutes"))
        print(code.token)
    return 0


# Shared with ``hepvision report`` (hepvision.cli.report), which opens the same database.
db_options, settings_from, open_db = _db_options, _settings, _open_db
