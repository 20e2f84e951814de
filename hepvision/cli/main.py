"""Entry point: parses arguments, dispatches to a subcommand, turns errors into exit codes.

Exit codes: 0 success, 1 a ``HepvisionError`` (bad input, missing model, nobody in view),
2 a usage error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from hepvision import __version__
from hepvision.errors import HepvisionError

log = logging.getLogger("hepvision")


class _OneLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def _configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLineFormatter())
    root = logging.getLogger("hepvision")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.propagate = False


def build_parser() -> argparse.ArgumentParser:
    from hepvision.cli import (
        app,
        bench,
        calibrate,
        cert,
        export,
        learn,
        live,
        report,
        server,
        templates,
        track,
        upload,
    )

    parser = argparse.ArgumentParser(
        prog="hepvision",
        description="Exercise-form tracking for physical-therapy home exercise programs: "
        "counts repetitions and measures joint range of motion from video, on this machine.",
    )
    parser.add_argument("--version", action="version", version=f"hepvision {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    track.add_parsers(sub)
    bench.add_parser(sub)
    live.add_parser(sub)
    app.add_parser(sub)
    templates.add_parsers(sub)
    learn.add_parsers(sub)
    calibrate.add_parser(sub)
    server.add_parsers(sub)
    cert.add_parser(sub)
    upload.add_parsers(sub)
    export.add_parsers(sub)
    report.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        return int(args.handler(args) or 0)
    except HepvisionError as exc:
        print(f"hepvision: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("hepvision: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
