"""``hepvision app``: the live session as a local web page (camera in the browser)."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hepvision.live.flow import ExercisePlan
    from hepvision.wire.prescription import Prescription

from hepvision.cli.options import MODEL_HELP
from hepvision.vocabulary import MODEL_CHOICES
from hepvision.vocabulary import MODEL_BACKENDS

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: Measured on a 2-core laptop-class machine (benchmarks/README.md, "Live engine"); kept
#: equal to ``hepvision.app.config.DEFAULT_POSE`` (which imports too much for the parser).
DEFAULT_POSE = "server"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "app",
        help="live session in the browser: a local page with the camera, count, ROM and cues",
        description="Serve the live session as a web page on this computer and open it in "
        "Chromium or Firefox: pick the exercise, rate pain before, do the sets (the page "
        "opens the camera; count, range of motion and cues are drawn on it), rate pain after "
        "and read the summary. The page is the one phones get from `hepvision serve`; "
        "the pose runs in the page (--pose browser) or here on camera JPEGs the page sends "
        "(--pose server). The session record is saved locally and queued for upload "
        "like `hepvision live`. Camera frames go only to this program: the page is served "
        "on the loopback interface (127.0.0.1) and refuses other machines and other web "
        "sites. Binding to another address needs an explicit --host, and browsers only "
        "allow the camera on http://localhost or over HTTPS.",
    )
    p.add_argument("--host", metavar="ADDR",
                   help=f"address to listen on (default {DEFAULT_HOST}, this computer only); "
                   "a non-loopback address is used only when given here explicitly, and "
                   "then other machines on the network can reach the page")
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"port (default {DEFAULT_PORT})")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--exercise", metavar="ID",
                      help="offer only this exercise (default: today's prescribed program once "
                      "the device is enrolled and synced, else the patient picks from all)")
    what.add_argument("--program", type=Path, metavar="program.toml",
                      help="local program file (exercises with sets, reps, rest); the "
                      "session runs the whole program")
    p.add_argument("--pose", choices=("browser", "server"), default=DEFAULT_POSE,
                   help="where the page's poses come from: 'browser' runs MediaPipe in the "
                   "page and sends only landmarks to this program, 'server' sends camera "
                   f"JPEGs to this program, which runs --backend (default {DEFAULT_POSE}; "
                   "the page's ?pose= overrides it)")
    p.add_argument("--backend", choices=MODEL_BACKENDS, default="onnx",
                   help="pose backend of --pose server (default onnx)")
    p.add_argument("--model", choices=MODEL_CHOICES, default="auto",
                   help=MODEL_HELP)
    p.add_argument("--sets", type=int, metavar="N", help="sets (default: the template's)")
    p.add_argument("--reps", type=int, metavar="N",
                   help="reps per set, 0 = open-ended (default: the template's)")
    p.add_argument("--rest", type=float, metavar="SECONDS", help="rest between sets")
    p.add_argument("--out-dir", type=Path, metavar="DIR",
                   help="folder for the session records (default: the local sessions folder, "
                   "as `hepvision live`)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from hepvision.app import AppSettings, create_app
    from hepvision.app.main import is_loopback
    from hepvision.cli.live import _default_out, _enqueue
    from hepvision.errors import HepvisionError
    from hepvision.pose.factory import create_estimator

    # Only an explicit --host can name a non-loopback address (the default is loopback).
    host = args.host or DEFAULT_HOST
    remote = args.host is not None and not is_loopback(host)
    if remote:
        log.warning("listening on %s: other machines on the network can reach this page "
                    "(browsers only allow the camera on localhost or over HTTPS)", host)
    for name, value in (("--sets", args.sets), ("--reps", args.reps), ("--rest", args.rest)):
        if value is not None and value < (1 if name == "--sets" else 0):
            raise HepvisionError(f"{name} must be {'>= 1' if name == '--sets' else '>= 0'}")
    offer = _offer(args)
    out_dir = args.out_dir or _default_out("session").parent
    settings = AppSettings(out_dir=out_dir, program=offer.program,
                           prescription_version=offer.prescription_version,
                           prescription=offer.prescription, exercise_ids=offer.exercise_ids,
                           sets=args.sets, reps=args.reps, rest_s=args.rest,
                           pose=args.pose, backend=args.backend, on_saved=_enqueue, allow_remote=remote,
                           estimator_factory=partial(create_estimator, args.backend,
                                                     model=args.model))
    app = create_app(settings)
    shown = f"[{host}]" if ":" in host else host
    print(f"hepvision app: open http://{shown}:{args.port}/ "
          f"(sessions are saved to {out_dir}; Ctrl+C to quit)", file=sys.stderr, flush=True)
    uvicorn.run(app, host=host, port=args.port, log_level="warning", ws="websockets-sansio")
    return 0


@dataclass(frozen=True, slots=True)
class _Offer:
    """What the page offers: a program, or exercises to pick from (see ``AppSettings``)."""

    program: tuple[ExercisePlan, ...] | None = None
    exercise_ids: tuple[str, ...] = ()
    prescription: Prescription | None = None
    prescription_version: int | None = None


def _offer(args: argparse.Namespace) -> _Offer:
    """A program file; one exercise; today's prescribed program once the device is enrolled
    and synced; else every template to pick from. A picked exercise the prescription has runs
    with the patient's overrides."""
    from hepvision.cli.prescribed import synced_prescription
    from hepvision.live.prescribed import prescribed_program
    from hepvision.live.program import load_program
    from hepvision.templates import list_templates, load_template

    if args.program is not None:
        return _Offer(program=load_program(args.program))
    prescription = synced_prescription()
    if args.exercise:
        return _Offer(exercise_ids=(load_template(args.exercise).id,),
                      prescription=prescription)
    if prescription is not None:
        program = prescribed_program(prescription, date.today())
        log.info("today's program: prescription version %d (%s)", prescription.version,
                 ", ".join(p.template.id for p in program.plans))
        return _Offer(program=program.plans, prescription=prescription,
                      prescription_version=program.prescription_version)
    return _Offer(exercise_ids=tuple(list_templates()))
