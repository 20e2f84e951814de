"""``hepvision live``: a patient session from the camera (or a clip played as a camera)."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hepvision.cli.options import MODEL_HELP
from hepvision.vocabulary import MODEL_CHOICES
from hepvision.vocabulary import BACKENDS, PoseBackend

if TYPE_CHECKING:
    from hepvision.live.program import Program

log = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "live",
        help="live session: count, ROM and cues on the camera image, then save the session",
        description="Run a live exercise session: setup check, sets with rest timers, pain "
        "ratings before and after, a summary, and the session record saved locally (and "
        "queued for upload once the device is enrolled). Without --exercise or --program it "
        "runs today's prescribed program: exercises, dosage, target ROM, pain stop and the "
        "patient's overrides as the therapist set them. Keys in "
        "the window: q stop, n next set / skip rest, p then 0-9 report pain (x = 10), "
        "s skip a pain question.",
    )
    what = p.add_mutually_exclusive_group()
    what.add_argument("--exercise", metavar="ID",
                      help="exercise template id (default: today's prescribed program, once "
                      "the device is enrolled and synced)")
    what.add_argument("--program", type=Path, metavar="program.toml",
                      help="local program file (exercises with sets, reps, rest)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--camera", type=int, default=0, metavar="N", help="camera index (0)")
    src.add_argument("--video", type=Path, metavar="FILE",
                     help="a clip (or a folder of images) played as if it were the camera")
    p.add_argument("--backend", choices=BACKENDS, default="onnx",
                   help="pose backend (default onnx; replay needs --video and --landmarks)")
    p.add_argument("--model", choices=MODEL_CHOICES, default="auto",
                   help=MODEL_HELP)
    p.add_argument("--landmarks", type=Path, metavar="file.npz",
                   help="with --backend replay: the recording to serve for --video's frames")
    p.add_argument("--sets", type=int, metavar="N",
                   help="sets (default: the prescription's, else the template's; with --video "
                   "and --exercise 1)")
    p.add_argument("--reps", type=int, metavar="N",
                   help="reps per set, 0 = open-ended (default: the prescription's, else the "
                   "template's; with --video and --exercise 0, so the whole clip is one set)")
    p.add_argument("--rest", type=float, metavar="SECONDS", help="rest between sets")
    p.add_argument("--no-window", action="store_true",
                   help="run headless (kiosk use, tests); with --video every frame is read in "
                   "turn (nothing dropped, the clip's own clock), as `hepvision track` reads it")
    p.add_argument("--realtime", action="store_true",
                   help="with --no-window --video: play the clip at real-time pace as a "
                   "camera would (frames the pipeline cannot keep up with are dropped)")
    p.add_argument("--out", type=Path, metavar="session.json",
                   help="write the session record here (default: the local sessions folder)")
    p.add_argument("--pain-before", type=int, choices=range(11), metavar="0-10",
                   help="headless: the pain rating before the session")
    p.add_argument("--pain-after", type=int, choices=range(11), metavar="0-10",
                   help="headless: the pain rating after the session")
    p.add_argument("--screenshot", type=Path, metavar="PNG",
                   help="save one overlay frame (the first with a counted repetition)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from hepvision.live.run import LiveOptions, run_live
    from hepvision.session.report import write_json
    from hepvision.session.serialize import saved_session

    _check_source(args)
    program = _program(args)
    options = LiveOptions(camera=None if args.video else args.camera, video=args.video,
                          backend=args.backend, landmarks=args.landmarks,
                          show_window=not args.no_window,
                          realtime=args.realtime or not args.no_window,
                          pain_before=args.pain_before, pain_after=args.pain_after,
                          screenshot=args.screenshot, model=args.model,
                          prescription_version=program.prescription_version)
    record = saved_session(run_live(program.plans, options))
    out = args.out or _default_out(record["session_id"])
    write_json(out, record)
    print(f"{record['reps']} reps; processed {record['processed_fps']:.1f} frames/s, "
          f"{record['dropped_frames']} dropped, latency median "
          f"{record['latency_ms_median']:.0f} ms (p95 {record['latency_ms_p95']:.0f} ms); "
          f"session saved to {out}", file=sys.stderr)
    _enqueue(record)
    return 0


def _check_source(args: argparse.Namespace) -> None:
    from hepvision.errors import HepvisionError

    if args.backend == PoseBackend.REPLAY and (args.video is None or args.landmarks is None):
        raise HepvisionError("--backend replay needs --video and --landmarks FILE.npz "
                             "recorded from that clip")


def _program(args: argparse.Namespace) -> Program:
    """What the session runs: a program file, one exercise, or today's prescribed program."""
    from hepvision.cli.prescribed import required_prescription, synced_prescription
    from hepvision.live.prescribed import exercise_program, prescribed_program
    from hepvision.live.program import Program, load_program
    from hepvision.templates import load_template

    if args.program is not None:
        return Program(load_program(args.program))
    if args.exercise is None:
        return prescribed_program(required_prescription(), date.today())
    # A clip played as the camera is one open-ended set unless told otherwise, so its
    # count matches `hepvision track` on the same clip.
    reps = args.reps if args.reps is not None else (0 if args.video else None)
    sets = args.sets if args.sets is not None else (1 if args.video else None)
    return exercise_program(load_template(args.exercise), synced_prescription(),
                            date.today(), sets=sets, reps=reps, rest_s=args.rest)


def _default_out(session_id: str) -> Path:
    """``<data dir>/sessions/<session_id>.json``: where sessions are kept (see README)."""
    from hepvision.upload.device import sessions_dir

    return sessions_dir() / f"{session_id}.json"


def _enqueue(record: dict[str, Any]) -> None:
    """Queue the saved session for upload when this device is enrolled with a therapist.

    Every session is queued, also one stopped for pain before any exercise (the therapist's
    pain alert depends on it). The record is already saved; a failure here is a warning.
    """
    from hepvision.errors import HepvisionError
    from hepvision.session.serialize import wire_part
    from hepvision.upload.outbox import enqueue_session

    try:
        if enqueue_session(wire_part(record)):
            log.info("session %s queued for upload (hepvision sync)", record["session_id"])
    except HepvisionError as exc:
        log.warning("session saved but not queued for upload: %s", exc)
