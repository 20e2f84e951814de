"""``hepvision report --patient ID --from DATE --to DATE --out report.pdf`` (on the server).

Writes a patient's progress report PDF (:mod:`hepvision.server.progress`, the same report the
dashboard's patient page downloads) straight from the server's database, like
``hepvision patient create``: run it where the server runs. The report is audited with the
actor ``cli``.
"""

from __future__ import annotations

import argparse
import logging
from datetime import date
from pathlib import Path

log = logging.getLogger(__name__)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_parser(sub: argparse._SubParsersAction) -> None:
    from hepvision.cli.server import db_options

    r = sub.add_parser(
        "report", parents=[db_options()], help="write a patient's progress report (PDF)",
        description="Write the progress report of a patient for the patient-local days FROM "
        "to TO (at most 366 days): program and versions, ROM trend per joint and side against "
        "target and normal range, adherence calendar, pain, form findings and an optional "
        "comment. Reads the server's database (run it on the server).")
    r.add_argument("--patient", type=int, required=True, metavar="ID", help="patient id")
    r.add_argument("--from", dest="start", type=_day, required=True, metavar="DATE",
                   help="first day, YYYY-MM-DD")
    r.add_argument("--to", dest="end", type=_day, required=True, metavar="DATE",
                   help="last day, YYYY-MM-DD")
    r.add_argument("--out", type=Path, required=True, metavar="report.pdf")
    r.add_argument("--comment", default="", help="the therapist's comment, printed in the report")
    r.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    from hepvision.cli.server import open_db, settings_from
    from hepvision.server.data.alert_rules import AlertDefaults
    from hepvision.server.errors import InvalidInputError, NotFoundError
    from hepvision.server.models import Patient
    from hepvision.server.progress import log_report, progress_pdf

    if len(args.comment) > 2000:
        raise InvalidInputError("the comment is longer than 2000 characters")
    settings = settings_from(args)
    with open_db(settings) as (sessions, _sec), sessions() as db:
        patient = db.get(Patient, args.patient)
        if patient is None:
            raise NotFoundError(f"no patient with id {args.patient}")
        pdf = progress_pdf(db, patient, start=args.start, end=args.end, comment=args.comment,
                           defaults=AlertDefaults.from_settings(settings))
        args.out.write_bytes(pdf)
        log_report(db, "cli", None, patient, args.start, args.end)
    log.info("progress report of patient %d (%s to %s) written to %s", patient.id, args.start,
             args.end, args.out)
    return 0
