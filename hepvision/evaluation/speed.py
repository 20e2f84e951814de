"""Per-stage speed of the pipeline on one clip."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import numpy as np

from hepvision import __version__
from hepvision.analysis import ExerciseAnalyzer
from hepvision.capture.sources import open_source
from hepvision.pose.factory import create_estimator
from hepvision.session.offline import StageTimings, run_frames, video_frames
from hepvision.templates import load_template


def measure_speed(video: str | Path, *, backend: str = "onnx", exercise_id: str = "squat",
                  max_frames: int | None = None, warmup: int = 5) -> dict[str, Any]:
    """Run decode -> pose -> analysis over ``video``; per-stage ms and throughput.

    The first ``warmup`` frames (model warm-up, first detection) are left out of every
    statistic, including the throughput.
    """
    analyzer = ExerciseAnalyzer(load_template(exercise_id))
    marks: list[float] = []

    def mark(done: int) -> None:
        import time

        marks.append(time.perf_counter())

    with open_source(video, max_frames=max_frames) as src:
        with create_estimator(backend) as estimator:
            run = run_frames(video_frames(src), estimator, analyzer.update, mark)
            info = estimator.info
    t = run.timings
    skip = min(warmup, max(0, t.frames - 1))
    wall = (marks[-1] - marks[skip - 1]) if skip > 0 else t.wall_s
    timed = StageTimings(t.decode_ms[skip:], t.pose_ms[skip:], t.after_pose_ms[skip:], wall)
    first = run.results[0]
    return {
        "video": str(video),
        "width_px": first.image_width_px,
        "height_px": first.image_height_px,
        "backend": backend,
        "exercise": exercise_id,
        "frames": t.frames,
        "frames_timed": timed.frames,
        "stages": timed.summary(),
        "pose_fps": round(timed.pose_fps, 2),
        "pipeline_fps": round(timed.pipeline_fps, 2),
        "ratio": round(timed.pipeline_fps / timed.pose_fps, 3) if timed.pose_fps else 0.0,
        "machine": {"cpu_count": os.cpu_count(), "processor": platform.processor()
                    or platform.machine(), "python": platform.python_version()},
        "hepvision": __version__,
        "models": info.model_sha256,
        "frames_with_pose": int(sum(1 for r in run.results if r.detected)),
        "after_pose_mean_ms": round(float(np.mean(timed.after_pose_ms)), 4)
        if timed.frames else 0.0,
    }


def format_speed_table(result: dict[str, Any]) -> str:
    """The table ``bench speed`` prints; its last line is ``pose_fps=<x> pipeline_fps=<y>``."""
    lines = [
        f"{Path(result['video']).name}  {result['width_px']}x{result['height_px']}  "
        f"backend={result['backend']}  frames={result['frames_timed']}",
        f"{'stage':<12}{'median_ms':>11}{'p95_ms':>9}",
    ]
    for stage, row in result["stages"].items():
        lines.append(f"{stage:<12}{row['median_ms']:>11.2f}{row['p95_ms']:>9.2f}")
    lines.append(f"pose_fps={result['pose_fps']:.1f} pipeline_fps={result['pipeline_fps']:.1f}")
    return "\n".join(lines)
