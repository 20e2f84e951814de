"""Pose results of a calibration input: a video file (pose runs) or a ``.npz`` recording."""

from __future__ import annotations

from pathlib import Path

from hepvision.errors import HepvisionError, NoPoseError
from hepvision.pose.types import PoseResult


def demonstration_results(path: Path, backend: str = "onnx") -> list[PoseResult]:
    """Every frame's pose result of ``path`` (a video or a ``.npz`` landmark recording).

    Raises:
        HepvisionError: unreadable input, or nobody in view in any frame.
    """
    from hepvision.pose.recording import load_recording

    if not Path(path).exists():
        raise HepvisionError(f"{path}: no such file")
    if str(path).lower().endswith(".npz"):
        results = list(load_recording(path).results)
    else:
        from hepvision.capture.sources import open_source
        from hepvision.pose.factory import create_estimator
        from hepvision.session.offline import run_frames, video_frames

        with open_source(path) as src, create_estimator(backend, source_fps=src.fps) as pose:
            results = list(run_frames(video_frames(src), pose).results)
    if not results:
        raise HepvisionError(f"{path}: no frames could be read")
    if not any(r.detected for r in results):
        raise NoPoseError(f"{path}: nobody was found in any of {len(results)} frames")
    return results
