"""``hepvision bench rom``: measured joint angles against a reference (CSV or OpenSim .mot)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hepvision.evaluation.rom import RomSettings

from hepvision.cli.batch import add_engine_arguments, engine_options
from hepvision.vocabulary import MODEL_BACKENDS


def add_rom_parser(bsub: argparse._SubParsersAction) -> None:
    """Add ``rom`` to the ``bench`` subcommands."""
    p = bsub.add_parser(
        "rom",
        help="angle accuracy against a reference (RMSE, bias, r, peak error)",
        description="Measure the angles of TRIAL (a video, or a .npz landmark recording) "
        "frame by frame and score them against REF: a CSV with a time_s column and columns "
        "named <angle>_<side> (e.g. knee_flexion_left), or an OpenSim .mot/.sto (knee_angle_r, "
        "hip_flexion_l, hip_adduction_r, ankle_angle_r, elbow_flex_r, arm_flex_r are mapped; "
        "knee_angle is taken as positive in flexion). One lag for the trial is found by "
        "cross-correlation within +-MAX_LAG_S; both series are resampled to RATE_HZ over their "
        "overlap. Prints a row per angle and a last line 'RMSE=<x> r=<y> lag_s=<z>'. A dataset: "
        "TRIAL is a manifest CSV with columns trial,reference (paths relative to it); every "
        "pair is scored the same way (with --scheduler or --workers, the trials' pose runs on "
        "Dask first, as in hepvision batch), a row per pair (an error row for a pair that "
        "cannot be scored), and a last line 'RMSE=<x> r=<y> trials=<k>/<n>' (means over the "
        "scored pairs); exits 1 when none could be scored.",
    )
    p.add_argument("trial", type=Path, metavar="TRIAL",
                   help="video file or .npz recording, or a manifest .csv of trials")
    p.add_argument("--reference", type=Path, metavar="REF",
                   help="reference angles: .csv, .mot or .sto (required for one trial)")
    p.add_argument("--angles", metavar="LIST",
                   help="comma-separated angles to score, e.g. knee_flexion_left,"
                   "knee_flexion_right (default: every angle of REF)")
    p.add_argument("--map", action="append", default=[], metavar="SRC=[-]ANGLE",
                   help="read column SRC of REF as ANGLE (a leading '-' flips the sign), e.g. "
                   "knee_angle_r=-knee_flexion_right for flexion-negative models; repeatable")
    p.add_argument("--max-lag-s", type=float, default=2.0, metavar="S",
                   help="lag search window, +- seconds (default: 2.0)")
    p.add_argument("--rate-hz", type=float, metavar="R",
                   help="common grid rate (default: the trial's frame rate, else 30)")
    p.add_argument("--backend", choices=MODEL_BACKENDS, default="onnx",
                   help="pose backend for a video (default: onnx)")
    p.add_argument("--cache-dir", type=Path, metavar="DIR",
                   help="landmark cache (default: ~/.cache/hepvision/landmarks)")
    p.add_argument("--out", type=Path, metavar="results.json", help="also write JSON here")
    add_engine_arguments(p, default=None)
    p.set_defaults(handler=run_rom)


def run_rom(args: argparse.Namespace) -> int:
    from hepvision.errors import HepvisionError
    from hepvision.evaluation.rom import RomSettings, format_rom_table, score_rom
    from hepvision.evaluation.rom_io import AngleKey, parse_column_map
    from hepvision.session.report import write_json

    angles = None
    if args.angles:
        angles = tuple(AngleKey.parse(a) for a in args.angles.split(",") if a.strip())
    settings = RomSettings(max_lag_s=args.max_lag_s, rate_hz=args.rate_hz, angles=angles)
    if args.trial.suffix.lower() == ".csv":
        return _run_rom_dataset(args, settings)
    if args.reference is None:
        raise HepvisionError("bench rom: --reference is required (unless TRIAL is a manifest "
                             ".csv of trial,reference pairs)")
    result = score_rom(args.trial, args.reference, settings=settings, backend=args.backend,
                       cache_dir=args.cache_dir, column_map=parse_column_map(args.map))
    print(format_rom_table(result))
    if args.out:
        write_json(args.out, result)
        print(f"results written to {args.out}", file=sys.stderr)
    return 0


def _run_rom_dataset(args: argparse.Namespace, settings: RomSettings) -> int:
    from hepvision.evaluation.rom_dataset import format_rom_dataset_table, score_rom_dataset
    from hepvision.evaluation.rom_io import parse_column_map
    from hepvision.session.report import write_json

    scheduler = args.scheduler or ("local" if args.workers else None)
    result = score_rom_dataset(args.trial, settings=settings, backend=args.backend,
                               cache_dir=args.cache_dir, column_map=parse_column_map(args.map),
                               engine=engine_options(args, scheduler) if scheduler else None)
    print(format_rom_dataset_table(result))
    if args.out:
        write_json(args.out, result)
        print(f"results written to {args.out}", file=sys.stderr)
    return 0 if result["scored"] else 1
