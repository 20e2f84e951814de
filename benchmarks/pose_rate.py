"""Repetition counts at the pose rates a phone manages (3-15 poses/s), on the shared clips.

The phone page runs pose in the browser and sends a landmark frame whenever the model is free
again, so the server sees 3-15 irregularly spaced poses per second instead of the camera's 30
frames/s. This benchmark replays the landmarks ``hepvision bench reps`` caches for every clip
of ``labels.csv`` (pose runs once to fill the cache when a clip is not in it) through the same
live analysis path the phone uses (:class:`~hepvision.live.session.LiveSession` fed pose by
pose with the frames' own times, relative to the first, as
:class:`~hepvision.phone.analysis.PhoneSession` does), at 30 (every frame), 15, 10, 7.5, 5 and 3
poses/s, and every frame of the clip (``all``: the figures ``hepvision bench reps`` counts; a
60-frames/s clip is subsampled at 30).

Subsampling like a browser: after each pose the model is busy for ``1 / rate`` seconds times a
factor drawn uniformly from 0.7-1.3 (seeded), and the next pose is of the first camera frame at
or after that moment. Every rate below the clip's own is run with ``--seeds`` seeds.

Per rate: exact share, MAE (RepCount-A: mean |pred - true| / true) and off-by-one share against
the hand counts and against the full-rate count; per clip at the lowest rates. Landmarks come
from full-rate pose (the backend's own tracking and smoothing saw every frame), so this
measures the analysis alone, not a browser model that tracks across larger gaps.

    python -m benchmarks.pose_rate [--rates 30,15,10,7.5,5,3] [--seeds 3] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from hepvision import __version__
from hepvision.evaluation.reps import cached_landmarks, default_cache_dir, read_labels
from hepvision.live.flow import ExercisePlan, SessionFlow
from hepvision.live.session import LiveSession
from hepvision.phone.analysis import BrowserPose
from hepvision.pose.types import PoseResult
from hepvision.templates import load_template

REPO = Path(__file__).resolve().parents[1]
LABELS = REPO.parent / "shared/data/videos/labels.csv"
OUT = REPO / "benchmarks/results/pose_rate.json"
RATES = (30.0, 15.0, 10.0, 7.5, 5.0, 3.0)
JITTER = 0.3


def browser_subsample(times_ms: np.ndarray, rate_hz: float, rng: np.random.Generator,
                      jitter: float = JITTER) -> np.ndarray:
    """Indices of the frames a browser posing at ``rate_hz`` takes: the model is busy
    ``1/rate`` s x U(1 - jitter, 1 + jitter) after each pose, then takes the first frame at or
    after that moment. A rate at or above the clip's own takes every frame."""
    if times_ms.size < 2 or rate_hz >= 1000.0 / float(np.median(np.diff(times_ms))) - 0.5:
        return np.arange(times_ms.size)
    picked = [0]
    free_at = float(times_ms[0])
    while True:
        free_at = float(times_ms[picked[-1]]) + 1000.0 / rate_hz * rng.uniform(
            1.0 - jitter, 1.0 + jitter)
        i = int(np.searchsorted(times_ms, free_at, side="left"))
        if i >= times_ms.size:
            break
        picked.append(max(i, picked[-1] + 1))
    return np.asarray(picked)


def count_like_phone(template_id: str, results: Sequence[PoseResult]) -> int:
    """The set's count when ``results`` arrive one by one as a phone session's frames."""
    plan = ExercisePlan(load_template(template_id), sets=1, reps=0, rest_s=0.0)
    session = LiveSession(SessionFlow((plan,), ask_pain=False), BrowserPose())
    t0 = results[0].timestamp_ms
    last = None
    for r in results:
        ts = r.timestamp_ms - t0
        if last is not None and ts <= last:
            continue
        last = ts
        session.analyse(PoseResult(ts, r.landmarks, r.world_landmarks, r.image_width_px,
                                   r.image_height_px, r.presence))
    session.flow.source_ended()
    return sum(s.analysis.reps for s in session.flow.finished)


@dataclass(frozen=True, slots=True)
class Run:
    file: str
    rate: float
    seed: int
    poses: int
    mean_rate: float
    count: int


#: The rate label of the every-frame reference run.
ALL = 0.0


def run_clip(file: str, template: str, results: Sequence[PoseResult], rates: Sequence[float],
             seeds: int) -> list[Run]:
    times = np.array([r.timestamp_ms for r in results], dtype=np.int64)
    span_s = (times[-1] - times[0]) / 1000.0
    out = [Run(file, ALL, 0, len(times), (len(times) - 1) / span_s if span_s else 0.0,
               count_like_phone(template, results))]
    for rate in rates:
        for seed in range(seeds):
            rng = np.random.default_rng([seed, int(rate * 10), len(file)])
            idx = browser_subsample(times, rate, rng)
            picked = [results[i] for i in idx]
            span_s = (times[idx[-1]] - times[idx[0]]) / 1000.0
            out.append(Run(file, rate, seed, len(idx), (len(idx) - 1) / span_s if span_s else 0,
                           count_like_phone(template, picked)))
            if len(idx) == len(times):
                break  # every frame: the same for every seed
    return out


def scores(pairs: Sequence[tuple[int, int]]) -> dict[str, float]:
    """exact share, MAE (|p - t| / t, t > 0), off-by-one share of (pred, true) pairs."""
    pred = np.array([p for p, _ in pairs], dtype=np.float64)
    true = np.array([t for _, t in pairs], dtype=np.float64)
    rel = np.abs(pred - true) / np.maximum(true, 1.0)
    return {"n": len(pairs), "exact": float(np.mean(pred == true)), "mae": float(rel.mean()),
            "obo": float(np.mean(np.abs(pred - true) <= 1))}


def summarize(runs: Sequence[Run], truth: dict[str, int], rates: Sequence[float]
              ) -> list[dict[str, Any]]:
    full = {r.file: r.count for r in runs if r.rate == ALL}
    table = []
    for rate in (ALL, *rates):
        here = [r for r in runs if r.rate == rate]
        table.append({"rate": rate, "mean_poses_per_s": float(np.mean([r.mean_rate for r in here])),
                      "vs_hand": scores([(r.count, truth[r.file]) for r in here]),
                      "vs_full_rate": scores([(r.count, full[r.file]) for r in here])})
    return table


def format_tables(table: Sequence[dict[str, Any]], runs: Sequence[Run], truth: dict[str, int],
                  low: Sequence[float]) -> str:
    lines = [f"{'rate':>5} {'poses/s':>8} | {'exact':>6} {'MAE':>6} {'OBO':>6} (hand) | "
             f"{'exact':>6} {'MAE':>6} {'OBO':>6} (full rate)"]
    for row in table:
        h, f = row["vs_hand"], row["vs_full_rate"]
        label = "all" if row["rate"] == ALL else f"{row['rate']:g}"
        lines.append(f"{label:>5} {row['mean_poses_per_s']:>8.2f} | {h['exact']:>6.3f} "
                     f"{h['mae']:>6.3f} {h['obo']:>6.3f}        | {f['exact']:>6.3f} "
                     f"{f['mae']:>6.3f} {f['obo']:>6.3f}")
    width = max(len(f) for f in truth)
    full = {r.file: r.count for r in runs if r.rate == ALL}
    lines.append("")
    lines.append(f"{'clip':<{width}} {'true':>4} {'full':>4} " +
                 " ".join(f"{f'{rate:g}/s counts':>16}" for rate in low))
    for file in truth:
        cells = []
        for rate in low:
            counts = [r.count for r in runs if r.file == file and r.rate == rate]
            cells.append(f"{','.join(str(c) for c in counts):>16}")
        lines.append(f"{file:<{width}} {truth[file]:>4} {full.get(file, -1):>4} " + " ".join(cells))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--rates", default=",".join(f"{r:g}" for r in RATES))
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--backend", default="onnx")
    ap.add_argument("--only", default="", help="comma-separated clip names (default: all)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",")]
    rows = read_labels(args.labels)
    if args.only:
        rows = [r for r in rows if r.file in args.only.split(",")]
    videos = args.labels.parent
    truth = {r.file: r.true_reps for r in rows}
    runs: list[Run] = []
    started = time.monotonic()
    load_before = os.getloadavg()
    for row in rows:
        assert row.template is not None, f"{row.file}: no template"
        rec = cached_landmarks(videos / row.file, args.backend, default_cache_dir())
        runs.extend(run_clip(row.file, row.template, rec.results, rates, args.seeds))
    table = summarize(runs, truth, rates)
    print(format_tables(table, runs, truth, rates[-3:]))
    load_after = os.getloadavg()
    result = {"benchmark": "pose_rate", "when": datetime.now(UTC).isoformat(timespec="seconds"),
              "hepvision": __version__, "machine": platform.platform(),
              "cpus": os.cpu_count(), "load_average_before": load_before,
              "load_average_after": load_after, "wall_s": round(time.monotonic() - started, 1),
              "backend": args.backend, "jitter": JITTER, "seeds": args.seeds, "rates": table,
              "runs": [{"file": r.file, "rate": r.rate, "seed": r.seed, "poses": r.poses,
                        "poses_per_s": round(r.mean_rate, 2), "count": r.count,
                        "true": truth[r.file]} for r in runs]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"\nload average before {load_before[0]:.2f}, after {load_after[0]:.2f}; "
          f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
