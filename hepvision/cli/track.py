"""``hepvision track`` and ``hepvision demo``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hepvision.cli.options import MODEL_HELP
from hepvision.vocabulary import MODEL_CHOICES
from hepvision.vocabulary import BACKENDS

if TYPE_CHECKING:
    from hepvision.session.record import SessionRecord

log = logging.getLogger(__name__)

#: Show a progress bar only for clips longer than this many frames (about 5 s at 30 fps).
PROGRESS_MIN_FRAMES = 150


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "track",
        help="count repetitions and measure ROM in a clip, write a JSON session report",
        description="Run the pipeline over a video file, a folder of images, a camera index "
        "or a .npz landmark recording, and write a JSON session report.",
    )
    p.add_argument("video", metavar="VIDEO",
                   help="video file, image folder, camera index, or .npz landmark recording")
    p.add_argument("--exercise", required=True, metavar="ID",
                   help="exercise template id (see exercises/); when this device's "
                   "prescription has it, the patient's overrides apply and the session names "
                   "the prescription version")
    p.add_argument("--backend", choices=BACKENDS, default="onnx",
                   help="pose backend (default: onnx)")
    p.add_argument("--model", choices=MODEL_CHOICES, default="auto",
                   help=MODEL_HELP)
    p.add_argument("--out", type=Path, metavar="report.json",
                   help="write the report here (default: print it to standard output)")
    p.add_argument("--save-landmarks", type=Path, metavar="file.npz",
                   help="also save the pose landmarks of every frame for replay")
    p.add_argument("--landmarks", type=Path, metavar="file.npz",
                   help="with --backend replay: the recording to serve for VIDEO's frames")
    p.add_argument("--max-frames", type=int, metavar="N", help="stop after N frames")
    p.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    p.set_defaults(handler=run_track)

    d = sub.add_parser(
        "demo",
        help="run track on the built-in synthetic squat recording (no camera, no video)",
        description="Replay the built-in landmark recording (made by hepvision's own "
        "synthetic-motion generator) through every stage after pose and print the report.",
    )
    d.add_argument("--out", type=Path, metavar="report.json",
                   help="write the report here (default: print it to standard output)")
    d.set_defaults(handler=run_demo)


def run_track(args: argparse.Namespace) -> int:
    from hepvision.cli.prescribed import synced_prescription
    from hepvision.live.prescribed import exercise_program
    from hepvision.session.report import track_report
    from hepvision.session.track import TrackOptions, is_recording, track
    from hepvision.templates import load_template

    if args.max_frames is not None and args.max_frames <= 0:
        from hepvision.errors import HepvisionError

        raise HepvisionError("--max-frames must be a positive number")
    # The patient's overrides of this exercise, when the device's prescription has it.
    program = exercise_program(load_template(args.exercise),
                               synced_prescription(), date.today())
    options = TrackOptions(exercise=program.plans[0].template, backend=args.backend,
                           save_landmarks=args.save_landmarks, landmarks=args.landmarks,
                           max_frames=args.max_frames, model=args.model,
                           prescription_version=program.prescription_version)
    with _progress_bar(enabled=not args.no_progress) as progress:
        record = track(args.video, options, progress)
    status = _emit(track_report(record), args.out)
    if not is_recording(args.video):
        _enqueue(record)
    return status


def run_demo(args: argparse.Namespace) -> int:
    from hepvision.demo import DEMO_EXERCISE, demo_recording_path
    from hepvision.session.report import track_report
    from hepvision.session.track import TrackOptions, track

    record = track(demo_recording_path(), TrackOptions(exercise=DEMO_EXERCISE,
                                                       backend="replay"))
    return _emit(track_report(record), args.out)


def _emit(report: dict[str, Any], out: Path | None) -> int:
    from hepvision.session.report import json_ready, write_json

    print(summary_line(report), file=sys.stderr)
    if out is None:
        json.dump(json_ready(report), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        write_json(out, report)
        print(f"report written to {out}", file=sys.stderr)
    return 0


def _enqueue(record: SessionRecord) -> None:
    """Queue the session for upload when this device is enrolled with a therapist.

    The report is already written; a session the upload schema refuses is reported as a
    warning, never as a failed run.
    """
    from hepvision.errors import HepvisionError
    from hepvision.session.serialize import upload_record
    from hepvision.upload.outbox import enqueue_session

    try:
        if enqueue_session(upload_record(record)):
            log.info("session %s queued for upload (hepvision sync)", record.session_id)
    except (HepvisionError, ValueError) as exc:
        log.warning("session not queued for upload: %s", exc)


def summary_line(report: dict[str, Any]) -> str:
    """One human line: exercise, count, ROM, frames."""
    reps = report["reps"]
    text = f"{report['exercise']}: {reps} rep{'s' if reps != 1 else ''}"
    ranges = [r for r in report["rep_details"] if r.get("rom_peak_deg") is not None]
    if ranges:
        peaks = [r["rom_peak_deg"] for r in ranges]
        text += f", peak ROM {min(peaks):.0f}-{max(peaks):.0f} deg"
    partial = report.get("partial_reps") or 0
    if partial:
        text += f" (+{partial} partial, not counted)"
    text += (f"; {report['frames_with_pose']}/{report['frames']} frames with pose, "
             f"{report['duration_s']:.1f} s, {report['processing_fps']:.0f} frames/s")
    return text


class _progress_bar:
    """A tqdm bar on a terminal for long clips; does nothing otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._bar: Any = None

    def __enter__(self) -> Callable[[int, int | None], None]:
        return self.update

    def update(self, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            if total is not None and total < PROGRESS_MIN_FRAMES:
                self.enabled = False
                return
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="frame", file=sys.stderr, leave=False)
        self._bar.update(done - self._bar.n)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()
