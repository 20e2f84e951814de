"""``hepvision bench speed`` and ``hepvision bench reps``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hepvision.cli.batch import add_engine_arguments, engine_options
from hepvision.cli.options import MODEL_HELP
from hepvision.vocabulary import MODEL_CHOICES
from hepvision.vocabulary import BACKENDS, MODEL_BACKENDS


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure speed and rep-counting accuracy",
                       description="Benchmarks that print a table and can write JSON.")
    bsub = p.add_subparsers(dest="bench_command", metavar="BENCH", required=True)

    s = bsub.add_parser(
        "speed",
        help="per-stage milliseconds (decode, pose, after pose) on a clip",
        description="Run the full pipeline on VIDEO and print median and p95 milliseconds "
        "per stage, then a last line 'pose_fps=<x> pipeline_fps=<y>'.",
    )
    s.add_argument("video", metavar="VIDEO", help="video file or image folder")
    s.add_argument("--backend", choices=MODEL_BACKENDS, default="onnx")
    s.add_argument("--model", choices=MODEL_CHOICES, default="auto",
                   help=MODEL_HELP)
    s.add_argument("--exercise", default="squat", metavar="ID",
                   help="template driving the after-pose stage (default: squat)")
    s.add_argument("--max-frames", type=int, metavar="N", help="stop after N frames")
    s.add_argument("--warmup", type=int, default=5, metavar="N",
                   help="frames excluded from the statistics (default: 5)")
    s.add_argument("--out", type=Path, metavar="results.json", help="also write JSON here")
    s.set_defaults(handler=run_speed)

    _add_reps_parser(bsub)

    from hepvision.cli.bench_rom import add_rom_parser

    add_rom_parser(bsub)

    # ``hepvision batch`` is registered here, beside the benchmarks that share its engine flags
    from hepvision.cli.batch import add_parser as add_batch_parser

    add_batch_parser(sub)


def _add_reps_parser(bsub: argparse._SubParsersAction) -> None:
    """The ``bench reps`` subcommand."""
    r = bsub.add_parser(
        "reps",
        help="rep-counting accuracy against hand counts (MAE, OBO, event F1, folds)",
        description="Count repetitions in every clip of a labels file and compare with the "
        "hand counts. LABELS is a CSV with columns file, template, true_reps and optionally "
        "rep_event_times_s (other columns ignored), or a RepCount-A annotation CSV (name, "
        "count, L1..Ln; scored on counts only, its frames are not turning points). Prints a row "
        "per clip (predicted 'error' for a row whose template is unknown, whose clip is "
        "missing or fails: it counts as predicted 0 with every event missed), a line per "
        "exercise class (RepCount-A's type, else the template) 'class <name>: exact=.. "
        "mae=.. obo=.. event_F1=..', an events line "
        "'events: P=.. R=.. F1=.. (TP=.. FP=.. FN=..)' and a last line "
        "'MAE=<x> OBO=<y> exact=<k>/<n>' with MAE = mean(|pred-true|/true) and OBO = share "
        "of clips within +-1, with the default counting constants over all rows. Events: "
        "each counted repetition's turning point is matched one-to-one with the labelled "
        "ones within max(0.6 s, a third of the median labelled period), maximising the "
        "matches (optimal assignment). Pose landmarks are cached, so re-scoring with other "
        "settings does not run pose again; with --scheduler or --workers, pose runs on Dask "
        "(the flags of hepvision batch) to fill that cache first, and the scoring that follows "
        "is the same. Exits 1 when no row could be scored.",
    )
    r.add_argument("--labels", type=Path, required=True, metavar="CSV")
    r.add_argument("--videos", type=Path, required=True, metavar="DIR")
    r.add_argument("--backend", choices=BACKENDS, default="onnx")
    r.add_argument("--template", metavar="ID",
                   help="template for rows without one (RepCount-A files have none); "
                   "without it such rows use the template-free counter")
    r.add_argument("--folds", type=int, metavar="K",
                   help="also fit the counting constants (FIT_GRID) by K-fold cross-"
                   "validation: clips are sorted by the SHA-256 of their file name and dealt "
                   "round-robin into K folds; each fold is scored with the constants that "
                   "maximise, on the other folds only, exact counts, then event F1, then "
                   "closeness to the defaults; prints a line per fold and the pooled "
                   "held-out figures")
    r.add_argument("--cache-dir", type=Path, metavar="DIR",
                   help="landmark cache (default: ~/.cache/hepvision/landmarks)")
    r.add_argument("--out", type=Path, metavar="results.json",
                   help="also write JSON here, and beside it a PNG plot (predicted vs true "
                   "count, error by class) with the same name")
    add_engine_arguments(r, default=None)
    r.set_defaults(handler=run_reps)


def run_speed(args: argparse.Namespace) -> int:
    from hepvision.evaluation.speed import format_speed_table, measure_speed
    from hepvision.session.report import write_json

    result = measure_speed(args.video, backend=args.backend, model=args.model,
                           exercise_id=args.exercise,
                           max_frames=args.max_frames, warmup=args.warmup)
    print(format_speed_table(result))
    if args.out:
        write_json(args.out, result)
        print(f"results written to {args.out}", file=sys.stderr)
    return 0


def run_reps(args: argparse.Namespace) -> int:
    from hepvision.evaluation.reps import format_reps_table, score_reps
    from hepvision.session.report import write_json

    scheduler = args.scheduler or ("local" if args.workers else None)
    engine = engine_options(args, scheduler) if scheduler else None
    result = score_reps(args.labels, args.videos, backend=args.backend,
                        default_template=args.template, cache_dir=args.cache_dir,
                        folds=args.folds, engine=engine)
    print(format_reps_table(result))
    if args.out:
        from hepvision.evaluation.rep_classes import plot_reps

        write_json(args.out, result)
        plot = plot_reps(result, args.out.with_suffix(".png"))
        print(f"results written to {args.out} and {plot}", file=sys.stderr)
    if all(c["status"] != "ok" for c in result["clips"]):
        print(f"error: none of the clips in {args.labels} could be scored", file=sys.stderr)
        return 1
    return 0
