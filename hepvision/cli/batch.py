"""``hepvision batch``: many clips on Dask, resumable, with a summary table.

Also the engine flags (``--scheduler``, ``--workers``, ``--threads-per-worker``) that ``bench
reps`` shares.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hepvision.vocabulary import MODEL_BACKENDS, MODEL_CHOICES

if TYPE_CHECKING:
    from hepvision.batch.engine import EngineInfo, EngineOptions
    from hepvision.batch.outcome import ClipOutcome

log = logging.getLogger(__name__)

BATCH_MODEL_HELP = ("landmark model: auto (default) is the bundled default, full-f16; a batch "
                    "is not real time, so nothing is measured and every worker thread runs "
                    "the same model on one inference thread")


def add_engine_arguments(p: argparse.ArgumentParser, *, default: str | None) -> None:
    """``--scheduler``, ``--workers``, ``--threads-per-worker``."""
    p.add_argument("--scheduler", default=default, metavar="local|none|tcp://HOST:PORT",
                   help="local: a Dask LocalCluster on this machine; none: a plain loop in "
                   "this process; an address: an existing Dask scheduler (e.g. started by "
                   "dask-jobqueue on Slurm)" + (f" (default: {default})" if default else
                   " (default: none, unless --workers is given)"))
    p.add_argument("--workers", type=int, metavar="N",
                   help="local worker processes (default: cores / threads per worker); with "
                   "a scheduler address, wait for N workers before starting")
    p.add_argument("--threads-per-worker", type=int, default=1, metavar="N",
                   help="threads per local worker process, each with its own pose session "
                   "(default: 1)")


def engine_options(args: argparse.Namespace, scheduler: str) -> EngineOptions:
    from hepvision.batch.engine import EngineOptions

    return EngineOptions(scheduler=scheduler, workers=args.workers,
                         threads_per_worker=args.threads_per_worker)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "batch",
        help="track many clips on Dask (resumable), with a summary table",
        description="Track every clip of INPUT (a folder, searched recursively; a glob such "
        "as 'clips/**/*.mp4'; one file; or a labels CSV: hepvision's file,template,true_reps "
        "or RepCount-A's type,name,count,L1..Ln as it is). Per clip OUT/reports/<name>.json "
        "(the track report) and OUT/landmarks/<name>.npz, written atomically; a clip already "
        "done with the same code, model and template hashes and settings is skipped, so a "
        "run that was stopped or crashed continues where it was. Then OUT/summary.csv and "
        "OUT/summary.json: counts, ROM per repetition, speed and the error of each clip. A "
        "bad clip is an error row. Exits 1 when no clip could be tracked.",
    )
    p.add_argument("input", metavar="INPUT", help="folder, glob, clip, or labels CSV")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    p.add_argument("--exercise", metavar="ID",
                   help="template for every clip whose labels name none (all clips of a "
                   "folder or glob, every RepCount-A row)")
    p.add_argument("--videos", type=Path, metavar="DIR",
                   help="with a labels CSV: the clips' folder (default: the CSV's folder)")
    p.add_argument("--backend", choices=MODEL_BACKENDS, default="onnx")
    p.add_argument("--model", choices=MODEL_CHOICES, default="auto", help=BATCH_MODEL_HELP)
    p.add_argument("--max-frames", type=int, metavar="N", help="stop each clip after N frames")
    add_engine_arguments(p, default="local")
    p.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    p.set_defaults(handler=run_batch_command)


def run_batch_command(args: argparse.Namespace) -> int:
    from hepvision.batch import ClipOptions, list_clips, run_batch
    from hepvision.errors import HepvisionError

    if args.max_frames is not None and args.max_frames <= 0:
        raise HepvisionError("--max-frames must be a positive number")
    jobs = list_clips(args.input, exercise=args.exercise, videos=args.videos)
    options = ClipOptions(exercise=args.exercise or "", backend=args.backend, model=args.model,
                          max_frames=args.max_frames)
    options.variant()  # an unbundled model fails here, not once per clip
    bar = BatchProgress(len(jobs), enabled=not args.no_progress)
    try:
        result = run_batch(jobs, args.out, options, engine_options(args, args.scheduler),
                           progress=bar.update, started=announce)
    finally:
        bar.close()
    print(f"{len(jobs)} clips: {result.tracked} tracked, "
          f"{sum(o.cached for o in result.outcomes)} already done, {result.errors} errors; "
          f"{result.wall_s:.1f} s; summary in {result.summary_csv} and "
          f"{result.summary_json}", file=sys.stderr)
    return 1 if result.errors == len(jobs) else 0


def announce(info: EngineInfo) -> None:
    """Say what the run runs on, and where its dashboard is."""
    text = (f"engine: {info.scheduler} with {info.workers} worker"
            f"{'s' if info.workers != 1 else ''}, {info.threads} thread"
            f"{'s' if info.threads != 1 else ''}")
    if info.dashboard:
        text += f"; dashboard {info.dashboard}"
    print(text, file=sys.stderr)


class BatchProgress:
    """Clips done, frames/s and ETA on standard error: a tqdm bar on a terminal, else a log
    line every 5% of the clips."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self._t0 = time.perf_counter()
        self._frames = 0
        self._errors = 0
        self._bar: Any = None
        self._step = max(1, total // 20)
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="clip", file=sys.stderr, dynamic_ncols=True)

    def update(self, outcome: ClipOutcome, done: int, total: int) -> None:
        if not outcome.cached:
            self._frames += outcome.frames
        self._errors += outcome.status != "ok"
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self._t0
        fps = self._frames / elapsed if elapsed > 0 else 0.0
        if self._bar is not None:
            self._bar.set_postfix_str(f"{fps:.0f} frames/s, {self._errors} errors",
                                      refresh=False)
            self._bar.update(done - self._bar.n)
        elif done % self._step == 0 or done == total:
            eta = elapsed / done * (total - done) if done else 0.0
            print(f"batch: {done}/{total} clips, {fps:.0f} frames/s, {self._errors} errors, "
                  f"ETA {eta:.0f} s", file=sys.stderr)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
