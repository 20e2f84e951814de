"""Parity and speed of the ``onnx`` pose backend against the ``mediapipe`` backend.

Runs both backends (VIDEO mode, one person) over every clip in ``../shared/data/videos`` and
reports, per clip, how far apart their landmarks are: the mean and 95th percentile of the
per-landmark pixel distance, as a percentage of the frame height, over landmarks whose
visibility is > 0.5 in both results of a frame. It also runs the tfjs-models golden video test
(``pose_squats.full.json``): the share of visible landmarks within 15 px of the reference.

Long clips are subsampled to at most ``--max-frames`` frames by a fixed stride (every k-th frame,
timestamps kept from the source), so tracking sees larger motion between frames than at the
source rate; ``--max-frames 0`` runs every frame. Timings are wall-clock per ``estimate()`` call
on this machine, split for the ONNX backend into detector frames and tracked frames.

Usage:
    python benchmarks/pose_parity.py [--max-frames 300] [--clips a.mp4 b.mp4] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from hepvision.capture.frames import Frame
from hepvision.pose.mediapipe_backend import MediaPipePoseEstimator
from hepvision.pose.onnx_backend import OnnxPoseEstimator, OnnxPoseOptions
from hepvision.pose.types import PoseResult

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
GOLDEN_CLIP = "squat_oblique_front_5fps_mediapipe_golden_tfjs.mp4"
GOLDEN_JSON = "pose_squats.full.json"
VISIBLE = 0.5
GOLDEN_TOLERANCE_PX = 15.0


@dataclass(frozen=True, slots=True)
class ClipParity:
    clip: str
    width_px: int
    height_px: int
    source_frames: int
    frames: int
    stride: int
    both_detected: int
    onnx_only: int
    mediapipe_only: int
    compared_landmarks: int
    mean_pct_height: float
    p95_pct_height: float
    max_pct_height: float
    onnx_ms_tracking_median: float
    onnx_ms_detection_median: float
    onnx_detector_frames: int
    mediapipe_ms_median: float


def read_frames(path: Path, max_frames: int) -> tuple[list[Frame], int, int]:
    """Frames of ``path`` (subsampled by a stride to at most ``max_frames``), count, stride."""
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise SystemExit(f"cannot open {path}")
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    images: list[np.ndarray] = []
    while True:
        ok, image = cap.read()
        if not ok:
            break
        images.append(image)
    cap.release()
    n = len(images)
    stride = max(1, math.ceil(n / max_frames)) if max_frames > 0 else 1
    frames = [
        Frame(np.ascontiguousarray(images[i]), int(round(i * 1000.0 / fps)), i)
        for i in range(0, n, stride)
    ]
    return frames, n, stride


def run_backend(estimator, frames: list[Frame]) -> tuple[list[PoseResult], np.ndarray, np.ndarray]:
    """Results, per-frame milliseconds and whether the detector ran (ONNX only)."""
    results: list[PoseResult] = []
    ms = np.empty(len(frames))
    detector = np.zeros(len(frames), bool)
    with estimator:
        for i, frame in enumerate(frames):
            t0 = time.perf_counter()
            results.append(estimator.estimate(frame))
            ms[i] = (time.perf_counter() - t0) * 1000.0
            detector[i] = bool(getattr(estimator, "detector_ran", False))
    return results, ms, detector


def distances_pct_height(a: list[PoseResult], b: list[PoseResult]) -> np.ndarray:
    """Per-landmark distances (% of frame height) where both results see the landmark."""
    out: list[np.ndarray] = []
    for ra, rb in zip(a, b, strict=True):
        if not (ra.detected and rb.detected):
            continue
        seen = (ra.landmarks[:, 3] > VISIBLE) & (rb.landmarks[:, 3] > VISIBLE)
        d = np.linalg.norm(ra.pixels() - rb.pixels(), axis=1)[seen]
        out.append(100.0 * d / ra.image_height_px)
    return np.concatenate(out) if out else np.zeros(0)


def golden_share(results: list[PoseResult], expected: list[list[list[float]]]) -> tuple[float, int]:
    """Share (%) of visible landmarks within 15 px of the golden pixels, and their count."""
    within = total = 0
    for result, frame in zip(results, expected, strict=True):
        seen = result.landmarks[:, 3] > VISIBLE
        d = np.linalg.norm(result.pixels() - np.asarray(frame)[:, :2], axis=1)[seen]
        within += int((d <= GOLDEN_TOLERANCE_PX).sum())
        total += int(seen.sum())
    return (100.0 * within / total if total else 0.0), total


def _median(values: np.ndarray) -> float:
    return float(np.median(values)) if values.size else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-frames", type=int, default=300)
    parser.add_argument("--clips", nargs="*", default=None)
    parser.add_argument("--videos", type=Path, default=DATA / "videos")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/pose_parity.json")
    args = parser.parse_args()

    clips = sorted(args.videos.glob("*.mp4")) if not args.clips else [
        args.videos / c for c in args.clips
    ]
    if not clips:
        raise SystemExit(f"no clips in {args.videos}")
    onnx_options = OnnxPoseOptions()
    rows: list[ClipParity] = []
    golden: dict[str, dict[str, float]] = {}
    info: dict[str, object] = {}
    header = (
        f"{'clip':52} {'frames':>6} {'both':>5} {'o-only':>6} {'m-only':>6} "
        f"{'mean%H':>7} {'p95%H':>6} {'max%H':>6} {'onnx trk':>8} {'onnx det':>8} {'mp':>6}"
    )
    print(header)
    print("-" * len(header))
    for path in clips:
        frames, n_source, stride = read_frames(path, args.max_frames)
        onnx = OnnxPoseEstimator(onnx_options)
        mp = MediaPipePoseEstimator()
        info = {"onnx": onnx.info.model_sha256, "mediapipe": mp.info.model_sha256}
        res_o, ms_o, det_o = run_backend(onnx, frames)
        res_m, ms_m, _ = run_backend(mp, frames)
        d = distances_pct_height(res_o, res_m)
        det_a = np.array([r.detected for r in res_o])
        det_b = np.array([r.detected for r in res_m])
        height, width = frames[0].image.shape[:2]
        row = ClipParity(
            clip=path.name,
            width_px=width,
            height_px=height,
            source_frames=n_source,
            frames=len(frames),
            stride=stride,
            both_detected=int((det_a & det_b).sum()),
            onnx_only=int((det_a & ~det_b).sum()),
            mediapipe_only=int((~det_a & det_b).sum()),
            compared_landmarks=int(d.size),
            mean_pct_height=float(d.mean()) if d.size else float("nan"),
            p95_pct_height=float(np.percentile(d, 95)) if d.size else float("nan"),
            max_pct_height=float(d.max()) if d.size else float("nan"),
            onnx_ms_tracking_median=_median(ms_o[~det_o]),
            onnx_ms_detection_median=_median(ms_o[det_o]),
            onnx_detector_frames=int(det_o.sum()),
            mediapipe_ms_median=_median(ms_m),
        )
        rows.append(row)
        print(
            f"{row.clip:52} {row.frames:6d} {row.both_detected:5d} {row.onnx_only:6d} "
            f"{row.mediapipe_only:6d} {row.mean_pct_height:7.3f} {row.p95_pct_height:6.3f} "
            f"{row.max_pct_height:6.2f} {row.onnx_ms_tracking_median:8.1f} "
            f"{row.onnx_ms_detection_median:8.1f} {row.mediapipe_ms_median:6.1f}",
            flush=True,
        )
        golden_path = DATA / "reference" / GOLDEN_JSON
        if path.name == GOLDEN_CLIP and golden_path.is_file() and stride == 1:
            expected = json.loads(golden_path.read_text(encoding="utf-8"))
            for name, res in (("onnx", res_o), ("mediapipe", res_m)):
                share, total = golden_share(res, expected)
                golden[name] = {"within_15px_pct": share, "visible_landmarks": total}

    all_o = [r for r in rows if r.compared_landmarks]
    weights = np.array([r.compared_landmarks for r in all_o], float)
    overall = float(np.average([r.mean_pct_height for r in all_o], weights=weights))
    print("-" * len(header))
    print(f"overall mean distance (landmark-weighted): {overall:.3f} % of frame height")
    for name, g in golden.items():
        print(
            f"golden {GOLDEN_JSON} [{name}]: {g['within_15px_pct']:.2f} % of "
            f"{g['visible_landmarks']} visible landmarks within {GOLDEN_TOLERANCE_PX:.0f} px"
        )

    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "settings": {
            "max_frames": args.max_frames,
            "visibility_threshold": VISIBLE,
            "onnx_options": {k: str(v) for k, v in asdict(onnx_options).items()},
            "mediapipe_running_mode": "VIDEO",
            "machine": platform.platform(),
            "python": platform.python_version(),
        },
        "models": info,
        "overall_mean_pct_height": overall,
        "golden": golden,
        "clips": [asdict(r) for r in rows],
    }
    args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
