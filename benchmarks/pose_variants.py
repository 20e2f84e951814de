"""Per-variant table on the shared clips: CPU and wall per frame, parity with full, counts.

Every labelled clip of ``../shared/data/videos/labels.csv`` runs, every frame, through each
landmark variant of the ``onnx`` backend (``full``, ``full-f16``; ``--extra NAME=FILE.onnx``
adds an experimental landmark file, e.g. an int8 one) and through the ``mediapipe`` backend
(MediaPipe Tasks), in the same process and run; a plain Tasks loop (OpenCV frame -> RGB ->
``mp.Image`` -> ``detect_for_video``, no hepvision code) runs on the first ``--tasks-frames``
frames of each clip as the yardstick for CPU.

Per variant:
- CPU ms/frame: process CPU time (all threads) over the pose calls, per frame; decoding is done
  in the same thread between pose calls and subtracted (its own thread CPU), so nothing else of
  ours runs meanwhile. Wall ms: median ``estimate()`` time.
- Landmark parity against ``full``: mean distance of the landmarks visible (> 0.5) in both, as
  a percentage of the frame height; the mean over clips and the landmark-weighted overall.
  World parity: the same for world landmarks, millimetres.
- Counts: the clip's template over the variant's landmarks with the default constants, as
  ``hepvision bench reps`` counts them; exact = equal to the hand count.

    python benchmarks/pose_variants.py [--clips a.mp4 ...] [--extra full-int8=/tmp/x.onnx]

Prints a table and writes benchmarks/results/pose_variants.json. Threads: ONNX Runtime one
intra-op thread (the default choice on this machine), OpenCV one; Tasks chooses its own.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hepvision.analysis import DEFAULT_CONSTANTS
from hepvision.capture.sources import VideoFileSource
from hepvision.evaluation.reps import ClipCounter, read_labels
from hepvision.pose.base import PoseEstimator
from hepvision.pose.mediapipe_backend import MediaPipePoseEstimator
from hepvision.pose.models import models_dir, sha256_file
from hepvision.pose.onnx_backend import OnnxPoseEstimator, OnnxPoseOptions
from hepvision.pose.recording import LandmarkRecording
from hepvision.pose.types import PoseResult

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = ROOT.parent / "shared" / "data" / "videos"
VISIBLE = 0.5
REFERENCE = "full"


@dataclass(slots=True)
class VariantRun:
    """What one variant did over the clips (mutable: filled clip by clip)."""

    name: str
    landmark_sha256: str
    frames: int = 0
    cpu_s: float = 0.0
    wall_ms: list[float] = field(default_factory=list)
    clip_parity_pct: dict[str, float] = field(default_factory=dict)
    pooled_pct: list[np.ndarray] = field(default_factory=list)
    pooled_world_mm: list[np.ndarray] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


class _Counter(ClipCounter):
    """``bench reps``' counter over landmarks already estimated here."""

    def __init__(self, recordings: dict[str, LandmarkRecording]) -> None:
        super().__init__(VIDEOS, "onnx", Path(tempfile.gettempdir()))
        self.given = recordings

    def _recording(self, file: str) -> LandmarkRecording:  # type: ignore[override]
        return self.given[file]


def run_clip(path: Path, make: Callable[[], PoseEstimator],
             max_frames: int | None = None) -> tuple[list[PoseResult], float, list[float], float]:
    """Results, pose CPU seconds, per-frame wall ms and fps of one clip through one backend."""
    results: list[PoseResult] = []
    walls: list[float] = []
    with VideoFileSource(path, max_frames=max_frames) as src, make() as estimator:
        fps = src.fps
        frames = iter(src)
        cpu0 = time.process_time()
        decode0 = src.decode.cpu_ms
        for frame in frames:
            t0 = time.perf_counter()
            results.append(estimator.estimate(frame))
            walls.append((time.perf_counter() - t0) * 1000.0)
        cpu = time.process_time() - cpu0 - (src.decode.cpu_ms - decode0) / 1000.0
    return results, cpu, walls, fps


def tasks_loop(path: Path, task: Path, max_frames: int) -> tuple[float, list[float], int]:
    """A plain MediaPipe Tasks loop (no hepvision code on the frame path): CPU s, walls."""
    import cv2
    import mediapipe as mp

    vision = mp.tasks.vision
    options = vision.PoseLandmarkerOptions(
        base_options=mp.tasks.BaseOptions(model_asset_path=str(task)),
        running_mode=vision.RunningMode.VIDEO, num_poses=1)
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    walls: list[float] = []
    cpu = 0.0
    with vision.PoseLandmarker.create_from_options(options) as landmarker:
        for i in range(max_frames):
            ok, bgr = cap.read()
            if not ok:
                break
            c0, t0 = time.process_time(), time.perf_counter()
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb),
                                        int(i * 1000 / fps))
            walls.append((time.perf_counter() - t0) * 1000.0)
            cpu += time.process_time() - c0
    cap.release()
    return cpu, walls, len(walls)


def distances(a: list[PoseResult], b: list[PoseResult]) -> tuple[np.ndarray, np.ndarray]:
    """Image distances (% of frame height) and world distances (mm) of landmarks seen in both."""
    image, world = [], []
    for ra, rb in zip(a, b, strict=True):
        if not (ra.detected and rb.detected):
            continue
        seen = (ra.landmarks[:, 3] > VISIBLE) & (rb.landmarks[:, 3] > VISIBLE)
        d = np.linalg.norm(ra.pixels() - rb.pixels(), axis=1)[seen]
        image.append(100.0 * d / ra.image_height_px)
        w = np.linalg.norm(ra.world_landmarks - rb.world_landmarks, axis=1)[seen]
        world.append(1000.0 * w)
    empty = np.zeros(0)
    return (np.concatenate(image) if image else empty, np.concatenate(world) if world else empty)


def onnx_maker(landmark_dir: Path, landmark: str) -> Callable[[], PoseEstimator]:
    options = OnnxPoseOptions(model_dir=landmark_dir, landmark_model=landmark, intra_op_threads=1)
    return lambda: OnnxPoseEstimator(options)


def extra_dir(extras: list[str], tmp: Path) -> dict[str, str]:
    """A model folder (bundled files + the extra ones, with a manifest) in ``tmp``."""
    manifest = json.loads((models_dir() / "MANIFEST.json").read_text())
    for name in ("pose_detection.onnx", "pose_landmark_full.onnx"):
        shutil.copy2(models_dir() / name, tmp / name)
    names = {}
    for spec in extras:
        label, file = spec.split("=", 1)
        target = tmp / Path(file).name
        shutil.copy2(file, target)
        manifest["files"][target.name] = {"sha256": sha256_file(target), "source": file,
                                          "licence": "experimental, not bundled"}
        names[label] = target.name
    (tmp / "MANIFEST.json").write_text(json.dumps(manifest))
    return names


def summarise(run: VariantRun, rows: list, counts_ok: bool) -> dict[str, object]:
    pooled = np.concatenate(run.pooled_pct) if run.pooled_pct else np.zeros(0)
    world = np.concatenate(run.pooled_world_mm) if run.pooled_world_mm else np.zeros(0)
    exact = sum(1 for r in rows if run.counts.get(r.file) == r.true_reps) if counts_ok else None
    return {
        "variant": run.name, "landmark_sha256": run.landmark_sha256, "frames": run.frames,
        "cpu_ms_per_frame": round(1000.0 * run.cpu_s / run.frames, 2) if run.frames else None,
        "wall_ms_median": round(statistics.median(run.wall_ms), 2) if run.wall_ms else None,
        "parity_pct_height_mean_over_clips": round(float(np.mean(list(
            run.clip_parity_pct.values()))), 4) if run.clip_parity_pct else None,
        "parity_pct_height_overall": round(float(pooled.mean()), 4) if pooled.size else None,
        "parity_pct_height_p95": round(float(np.percentile(pooled, 95)), 4)
        if pooled.size else None,
        "world_parity_mm": round(float(world.mean()), 3) if world.size else None,
        "exact": exact, "clips": len(rows) if counts_ok else None, "counts": run.counts,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", nargs="*", help="clip names in labels.csv (default: all)")
    parser.add_argument("--extra", nargs="*", default=[], metavar="NAME=FILE.onnx")
    parser.add_argument("--tasks-frames", type=int, default=300)
    parser.add_argument("--no-mediapipe", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/pose_variants.json")
    args = parser.parse_args()
    if not (VIDEOS / "labels.csv").is_file():
        print("../shared/data/videos is absent: nothing to measure", file=sys.stderr)
        return 1
    rows = [r for r in read_labels(VIDEOS / "labels.csv") if not args.clips
            or r.file in args.clips]
    tmp = Path(tempfile.mkdtemp(prefix="hepvision-variants-"))
    extra = extra_dir(args.extra, tmp) if args.extra else {}
    bundled = models_dir()
    makers: dict[str, tuple[Callable[[], PoseEstimator], str]] = {
        "full": (onnx_maker(bundled, "pose_landmark_full.onnx"),
                 sha256_file(bundled / "pose_landmark_full.onnx")),
        "full-f16": (onnx_maker(bundled, "pose_landmark_full_f16.onnx"),
                     sha256_file(bundled / "pose_landmark_full_f16.onnx")),
        **{label: (onnx_maker(tmp, name), sha256_file(tmp / name))
           for label, name in extra.items()},
    }
    if not args.no_mediapipe:
        task = bundled / "pose_landmarker_full.task"
        makers["mediapipe"] = (MediaPipePoseEstimator, sha256_file(task))
    runs = {name: VariantRun(name, sha) for name, (_, sha) in makers.items()}
    tasks = VariantRun("tasks-loop", sha256_file(bundled / "pose_landmarker_full.task"))
    recordings: dict[str, dict[str, LandmarkRecording]] = {name: {} for name in makers}
    for row in rows:
        path = VIDEOS / row.file
        results = {}
        for name, (make, _) in makers.items():
            res, cpu, walls, fps = run_clip(path, make)
            run = runs[name]
            run.frames += len(res)
            run.cpu_s += cpu
            run.wall_ms.extend(walls)
            results[name] = res
            recordings[name][row.file] = LandmarkRecording(tuple(res), fps)
        for name, res in results.items():
            image, world = distances(res, results[REFERENCE])
            runs[name].pooled_pct.append(image)
            runs[name].pooled_world_mm.append(world)
            if image.size:
                runs[name].clip_parity_pct[row.file] = float(image.mean())
        if not args.no_mediapipe:
            cpu, walls, n = tasks_loop(path, bundled / "pose_landmarker_full.task",
                                       args.tasks_frames)
            tasks.frames += n
            tasks.cpu_s += cpu
            tasks.wall_ms.extend(walls)
        print(f"{row.file:<52}" + "".join(
            f"{name}:{1000 * runs[name].cpu_s / max(1, runs[name].frames):6.1f}ms "
            for name in makers), flush=True)
    for name in makers:
        counter = _Counter(recordings[name])
        for row in rows:
            runs[name].counts[row.file] = counter(row, DEFAULT_CONSTANTS).reps
    table = [summarise(runs[name], rows, True) for name in makers]
    if not args.no_mediapipe:
        table.append(summarise(tasks, rows, False))
    print_table(table)
    report = {"machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(),
                          "load_average_end": list(os.getloadavg())},
              "clips": [r.file for r in rows], "variants": table}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"written {args.out}")
    return 0


def print_table(table: list[dict[str, object]]) -> None:
    print(f"{'variant':<12}{'frames':>7}{'cpu ms':>8}{'wall ms':>8}{'par %H':>8}"
          f"{'overall':>8}{'world mm':>9}{'exact':>7}")
    for t in table:
        exact = f"{t['exact']}/{t['clips']}" if t["exact"] is not None else "-"
        print(f"{t['variant']!s:<12}{t['frames']!s:>7}{_cell(t, 'cpu_ms_per_frame', '8.2f')}"
              f"{_cell(t, 'wall_ms_median', '8.2f')}"
              f"{_cell(t, 'parity_pct_height_mean_over_clips', '8.3f')}"
              f"{_cell(t, 'parity_pct_height_overall', '8.3f')}"
              f"{_cell(t, 'world_parity_mm', '9.2f')}{exact:>7}")


def _cell(row: dict[str, object], key: str, spec: str) -> str:
    value = row[key]
    return format(value, spec) if value is not None else "-".rjust(int(spec.split(".")[0]))


if __name__ == "__main__":
    sys.exit(main())
