"""Angle error on synthetic recordings, per angle, source and view (noise-free and noisy).

For every synthetic motion, view (front / side / oblique) and noise setting, compares each
driven joint angle's reading with the commanded angle, frame by frame, and reports mean and max
absolute error in degrees and the share of frames measurable. Image (2D) readings are only
measurable from a view facing the angle's plane; world (3D) readings from any view.
Also times ExerciseAnalyzer.update (median and p95 microseconds per frame).

Run: python benchmarks/angles_synthetic.py   (writes benchmarks/results/angles_synthetic.json)
"""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from hepvision.analysis import ExerciseAnalyzer
from hepvision.kinematics import FramePoints, Source, measure_angle
from hepvision.synthetic import MOTIONS, VIEW_YAWS_DEG, NoiseModel, synthesize
from hepvision.templates import load_template

OUT = Path(__file__).resolve().parent / "results" / "angles_synthetic.json"


def angle_errors() -> dict[str, dict[str, float]]:
    errors: dict[tuple[str, str, str, str], list[float]] = defaultdict(list)
    frames: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for noisy in (False, True):
        noise = NoiseModel() if noisy else None
        for motion in MOTIONS.values():
            for view, yaw in VIEW_YAWS_DEG.items():
                rec = synthesize(motion.id, reps=3, yaw_deg=yaw, noise=noise, seed=7)
                driven = {(j.angle, j.side) for j in motion.joints}
                for i, r in enumerate(rec.results):
                    fp = FramePoints.from_result(r) if r.detected else None
                    for name, side in driven:
                        if (name, side) not in rec.truth_deg:  # driven, no clinical truth
                            continue
                        truth = rec.truth_deg[(name, side)][i]
                        if not math.isfinite(truth):
                            continue
                        for src in Source:
                            key = ("noisy" if noisy else "noise_free", name.value, src.value, view)
                            frames[key][1] += 1
                            if fp is None:
                                continue
                            v = measure_angle(fp, name, side, src).value_deg
                            if math.isfinite(v):
                                frames[key][0] += 1
                                errors[key].append(abs(v - truth))
    table = {}
    for key, (ok, total) in sorted(frames.items()):
        e = np.asarray(errors.get(key, []))
        table["|".join(key)] = {
            "mean_deg": float(e.mean()) if e.size else None,
            "max_deg": float(e.max()) if e.size else None,
            "measurable": ok / total if total else 0.0,
        }
    return table


def update_cost_us() -> dict[str, float]:
    rec = synthesize("squat", reps=10, yaw_deg=90.0, noise=NoiseModel(), seed=3)
    template = load_template("squat")
    costs = []
    for _ in range(3):
        analyzer = ExerciseAnalyzer(template, live=True)
        for r in rec.results:
            t0 = time.perf_counter()
            analyzer.update(r)
            costs.append(time.perf_counter() - t0)
    c = np.asarray(costs) * 1e6
    return {"median_us": float(np.median(c)), "p95_us": float(np.percentile(c, 95)),
            "frames": int(c.size)}


def main() -> None:
    table = angle_errors()
    cost = update_cost_us()
    print(f"{'noise':<10} {'angle':<20} {'source':<6} {'view':<8} "
          f"{'mean':>6} {'max':>6} {'meas%':>6}")
    for key, row in table.items():
        noise, angle, src, view = key.split("|")
        mean = "  n/a" if row["mean_deg"] is None else f"{row['mean_deg']:6.2f}"
        mx = "  n/a" if row["max_deg"] is None else f"{row['max_deg']:6.2f}"
        print(f"{noise:<10} {angle:<20} {src:<6} {view:<8} {mean:>6} {mx:>6} "
              f"{100 * row['measurable']:6.1f}")
    print(f"ExerciseAnalyzer.update: median {cost['median_us']:.0f} us, "
          f"p95 {cost['p95_us']:.0f} us over {cost['frames']} frames")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"angles": table, "update_cost": cost}, indent=1))


if __name__ == "__main__":
    main()
