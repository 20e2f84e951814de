"""Several landmarkers taking frames in turn (the phone page's worker pool) against one.

The patient page poses with the WASM CPU delegate in a pool of workers (``pose.js``,
``PosePool``): each worker has its own MediaPipe ``PoseLandmarker`` in video mode, and frames go
to whichever is free, so with N workers each landmarker tracks the person (its region of
interest, its landmark smoothing) from a frame N poses back. Does that cost accuracy?

For every labelled shared clip this takes the frames a browser posing at ``--rates`` poses a
second would take (``benchmarks.pose_rate.browser_subsample``: the model busy 1/rate s +-30 %
after each pose, seeded), poses them with MediaPipe Tasks in Python (the same
``pose_landmarker_full.task`` and graph as the browser) once with one landmarker and once with
N landmarkers in turn, and reports

- the image-landmark distance between the pool's landmarks and one landmarker's on the same
  frames (visible landmarks, % of the frame's height: mean, p99), and
- the repetition count of each through the phone's live path (``count_like_phone``) against
  the hand count.

Prints tables and writes ``benchmarks/results/pose_pool.json``.

    python -m benchmarks.pose_pool [--rates 15,7.5] [--workers 2,3] [--clips N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.pose_rate import browser_subsample, count_like_phone
from hepvision import __version__
from hepvision.capture.frames import Frame
from hepvision.capture.video_file import VideoFileSource
from hepvision.evaluation.reps import read_labels
from hepvision.pose.factory import create_estimator
from hepvision.pose.mediapipe_backend import MediaPipePoseEstimator
from hepvision.pose.models import verified_model_path
from hepvision.pose.types import PoseResult

REPO = Path(__file__).resolve().parents[1]
#: The --workers value of landmarkers in image mode (any number: they keep no state).
IMAGE = 0
VIDEOS = REPO.parent / "shared/data/videos"


def picked_frames(video: Path, rate: float, seed: int) -> list[Frame]:
    """The frames of ``video`` a browser posing at ``rate`` a second takes."""
    with VideoFileSource(video) as src:
        frames = list(src)
    times = np.array([f.timestamp_ms for f in frames], dtype=np.int64)
    rng = np.random.default_rng([seed, int(rate * 10), len(video.name)])
    return [frames[i] for i in browser_subsample(times, rate, rng)]


def pose_in_turn(frames: Sequence[Frame], workers: int, image_mode: bool = False
                 ) -> list[PoseResult]:
    """``frames`` posed by ``workers`` MediaPipe landmarkers (video mode: tracking and
    smoothing; image mode: neither, the detector on every frame) taking them in turn."""
    if image_mode:
        one = ImageModePose()
        try:
            return [one.estimate(f) for f in frames]  # no state: N of them would give the same
        finally:
            one.close()
    estimators = [create_estimator("mediapipe") for _ in range(workers)]
    try:
        return [estimators[k % workers].estimate(f) for k, f in enumerate(frames)]
    finally:
        for e in estimators:
            e.close()


class ImageModePose(MediaPipePoseEstimator):
    """MediaPipe Tasks' landmarker in image mode: every frame on its own."""

    def __init__(self) -> None:
        super().__init__()
        mp = self._mp
        vision = mp.tasks.vision
        path, _ = verified_model_path(self.options.task_model, None)
        self._landmarker.close()
        self._landmarker = vision.PoseLandmarker.create_from_options(
            vision.PoseLandmarkerOptions(
                base_options=mp.tasks.BaseOptions(model_asset_path=str(path)),
                running_mode=vision.RunningMode.IMAGE, num_poses=1,
                output_segmentation_masks=False))
        self._video = self._landmarker
        self._landmarker = _ImageCalls(self._video)


class _ImageCalls:
    """``detect_for_video`` of an image-mode landmarker: ``detect``, the time ignored."""

    def __init__(self, landmarker: Any) -> None:
        self.landmarker = landmarker

    def detect_for_video(self, image: Any, ts: int) -> Any:
        return self.landmarker.detect(image)

    def close(self) -> None:
        self.landmarker.close()


def distances(a: Sequence[PoseResult], b: Sequence[PoseResult]) -> np.ndarray:
    """Distances, in % of the frame's height, of the landmarks both see (visibility >= 0.5)
    on frames both posed."""
    out = []
    for pa, pb in zip(a, b, strict=True):
        if not (pa.detected and pb.detected):
            continue
        vis = (pa.landmarks[:, 3] >= 0.5) & (pb.landmarks[:, 3] >= 0.5)
        delta = (pa.pixels() - pb.pixels())[vis]
        out.append(100.0 * np.hypot(delta[:, 0], delta[:, 1]) / pa.image_height_px)
    return np.concatenate(out) if out else np.zeros(0)


def run_clip(video: Path, template: str, rate: float, workers: Sequence[int],
             seed: int) -> dict[str, Any]:
    frames = picked_frames(video, rate, seed)
    one = pose_in_turn(frames, 1)
    row: dict[str, Any] = {"clip": video.name, "rate": rate, "poses": len(frames),
                           "height_px": frames[0].height_px if frames else 0,
                           "count": {"1": count_like_phone(template, one)}}
    for n in workers:
        pool = pose_in_turn(frames, n, image_mode=n == IMAGE)
        d = distances(pool, one)
        row["count"][str(n)] = count_like_phone(template, pool)
        row[f"dist_{n}"] = {"mean": float(d.mean()) if d.size else None,
                          "p99": float(np.percentile(d, 99)) if d.size else None,
                          "points": int(d.size)}
    return row


def summary(rows: Sequence[dict[str, Any]], truth: dict[str, int], workers: Sequence[int]
            ) -> list[dict[str, Any]]:
    out = []
    for rate in sorted({r["rate"] for r in rows}, reverse=True):
        at = [r for r in rows if r["rate"] == rate]
        for n in (1, *workers):
            errs = [r["count"][str(n)] - truth[r["clip"]] for r in at]
            line: dict[str, Any] = {
                "rate": rate, "workers": n, "clips": len(at),
                "exact": sum(e == 0 for e in errs) / len(errs),
                "mae": float(np.mean(np.abs(errs))),
                "same_as_one": sum(r["count"][str(n)] == r["count"]["1"] for r in at)}
            if n > 1:
                d = [r[f"dist_{n}"] for r in at if r[f"dist_{n}"]["mean"] is not None]
                line["dist_mean_median_clip"] = float(np.median([x["mean"] for x in d])) \
                    if d else None
                line["dist_mean_worst_clip"] = max((x["mean"] for x in d), default=None)
                line["dist_p99_median_clip"] = float(np.median([x["p99"] for x in d])) \
                    if d else None
            out.append(line)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="15,7.5")
    parser.add_argument("--workers", default="2,3,0",
                        help="pools to compare with one landmarker; 0: image mode")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clips", type=int, default=0, help="only the first N clips (0: all)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/pose_pool.json")
    args = parser.parse_args(argv)
    if not VIDEOS.is_dir():
        raise SystemExit(f"no shared clips at {VIDEOS}")
    rates = [float(x) for x in args.rates.split(",")]
    workers = [int(x) for x in args.workers.split(",")]
    labels = read_labels(VIDEOS / "labels.csv")
    if args.clips:
        labels = labels[:args.clips]
    truth = {lab.file: lab.true_reps for lab in labels}
    load_before, t0 = os.getloadavg(), time.monotonic()
    rows = []
    for lab in labels:
        if lab.template is None:
            continue  # (every shared clip names its template)
        for rate in rates:
            rows.append(run_clip(VIDEOS / lab.file, lab.template, rate, workers, args.seed))
            r = rows[-1]
            print(f"{lab.file} @ {rate}/s: truth {truth[lab.file]}, counts {r['count']}, "
                  + ", ".join(f"{n} workers {r[f'dist_{n}']['mean']} %" for n in workers),
                  flush=True)
    table = summary(rows, truth, workers)
    print("\n| poses/s | landmarkers | exact | MAE | same count as one | distance to one, "
          "% of height: mean (median clip / worst clip) | p99 (median clip) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for t in table:
        px = (f"{t['dist_mean_median_clip']:.2f} / {t['dist_mean_worst_clip']:.2f} | "
              f"{t['dist_p99_median_clip']:.2f}"
              if t["workers"] > 1 and t["dist_mean_median_clip"] is not None else "- | -")
        print(f"| {t['rate']} | {t['workers']} | {t['exact']:.3f} | {t['mae']:.3f} | "
              f"{t['same_as_one']}/{t['clips']} | {px} |")
    payload = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "hepvision": __version__,
               "machine": platform.platform(), "cpus": os.cpu_count(),
               "loadavg_before": load_before, "loadavg_after": os.getloadavg(),
               "seconds": round(time.monotonic() - t0, 1), "seed": args.seed,
               "summary": table, "clips": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
