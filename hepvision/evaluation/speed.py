"""Per-stage speed of the pipeline on one clip: wall time and CPU time.

Wall milliseconds say whether the pipeline keeps up; CPU milliseconds say what it costs the
machine (and contention from other processes inflates them much less). CPU per stage is
measured on the thread that runs the stage (decode on the reader thread; crop, detector,
landmark model, post-processing and the analysis after pose on the main thread), and ``other``
is the process total minus those (ONNX Runtime worker threads beyond the first, MediaPipe's
own threads, the interpreter). ``cores_at_source_fps`` is the CPU per frame times the clip's
frame rate: the share of the machine a live session at that rate would take.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from hepvision import __version__
from hepvision.analysis import ExerciseAnalyzer
from hepvision.capture.sources import open_source
from hepvision.pose.cost import peak_resident_mb
from hepvision.pose.factory import create_estimator
from hepvision.session.offline import StageTimings, run_frames, video_frames
from hepvision.templates import load_template


def measure_speed(video: str | Path, *, backend: str = "onnx", model: str | None = "auto",
                  exercise_id: str = "squat", max_frames: int | None = None,
                  warmup: int = 5) -> dict[str, Any]:
    """Run decode -> pose -> analysis over ``video``; per-stage ms (wall and CPU) and
    throughput.

    The first ``warmup`` frames (model warm-up, first detection) are left out of every
    statistic, including the throughput and the CPU figures.
    """
    analyzer = ExerciseAnalyzer(load_template(exercise_id))
    marks: list[float] = []

    def mark(done: int) -> None:
        marks.append(time.perf_counter())

    with open_source(video, max_frames=max_frames) as src:
        fps = src.fps
        with create_estimator(backend, model=model, source_fps=fps) as estimator:
            run = run_frames(video_frames(src), estimator, analyzer.update, mark,
                             cpu_warmup=warmup)
            info = estimator.info
    t = run.timings
    skip = min(warmup, max(0, t.frames - 1))
    wall = (marks[-1] - marks[skip - 1]) if skip > 0 else t.wall_s
    timed = StageTimings(t.decode_ms[skip:], t.pose_ms[skip:], t.after_pose_ms[skip:], wall)
    first = run.results[0]
    cpu = run.cpu.to_dict() if run.cpu is not None else None
    return {
        "video": str(video),
        "width_px": first.image_width_px,
        "height_px": first.image_height_px,
        "source_fps": round(fps, 3),
        "backend": backend,
        "exercise": exercise_id,
        "frames": t.frames,
        "frames_timed": timed.frames,
        "stages": timed.summary(),
        "pose_fps": round(timed.pose_fps, 2),
        "pipeline_fps": round(timed.pipeline_fps, 2),
        "ratio": round(timed.pipeline_fps / timed.pose_fps, 3) if timed.pose_fps else 0.0,
        "cpu": cpu,
        "cores_at_source_fps": (round(run.cpu.cpu_ms_per_frame * fps / 1000.0, 3)
                                if run.cpu is not None else None),
        "pose_model": info.selection.to_dict() if info.selection is not None else None,
        "rss_mb_peak": round(peak_resident_mb(), 1),
        "machine": {"cpu_count": os.cpu_count(), "processor": platform.processor()
                    or platform.machine(), "python": platform.python_version(),
                    "load_average": [round(x, 2) for x in os.getloadavg()]
                    if hasattr(os, "getloadavg") else None},
        "hepvision": __version__,
        "models": info.model_sha256,
        "frames_with_pose": int(sum(1 for r in run.results if r.detected)),
        "after_pose_mean_ms": round(float(np.mean(timed.after_pose_ms)), 4)
        if timed.frames else 0.0,
    }


def format_speed_table(result: dict[str, Any]) -> str:
    """The table ``bench speed`` prints; its last line is ``pose_fps=<x> pipeline_fps=<y>``.

    Wall milliseconds (median, p95) per stage, then CPU milliseconds per frame (mean) per
    stage, the process total and the cores it would take at the clip's frame rate.
    """
    lines = [
        f"{Path(result['video']).name}  {result['width_px']}x{result['height_px']}  "
        f"backend={result['backend']}  frames={result['frames_timed']}",
    ]
    selection = result["pose_model"]
    if selection is not None:
        lines.append(f"model={selection['model']} ({selection['landmark_model']}, "
                     f"requested {selection['requested']})  "
                     f"intra_op_threads={selection['intra_op_threads']}  "
                     f"opencv_threads={selection['opencv_threads']}")
    lines.append(f"{'stage':<12}{'median_ms':>11}{'p95_ms':>9}")
    for stage, row in result["stages"].items():
        lines.append(f"{stage:<12}{row['median_ms']:>11.2f}{row['p95_ms']:>9.2f}")
    cpu = result["cpu"]
    if cpu is not None:
        lines.append(f"{'cpu stage':<12}{'mean_ms':>11}")
        for stage, ms in cpu["stage_ms"].items():
            lines.append(f"{stage:<12}{ms:>11.2f}")
        lines.append(f"cpu_ms_per_frame={cpu['cpu_ms_per_frame']:.2f} "
                     f"cores_at_{result['source_fps']:g}fps={result['cores_at_source_fps']:.3f} "
                     f"rss_mb_peak={result['rss_mb_peak']:.0f}")
    lines.append(f"pose_fps={result['pose_fps']:.1f} pipeline_fps={result['pipeline_fps']:.1f}")
    return "\n".join(lines)
