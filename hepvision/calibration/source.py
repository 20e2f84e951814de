"""Pose results of a calibration input: a video file (pose runs) or a ``.npz`` recording."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from hepvision.errors import HepvisionError, NoPoseError
from hepvision.pose.types import PoseResult

if TYPE_CHECKING:
    from hepvision.capture.prefetch import TimedFrame


def demonstration_results(path: Path | str, backend: str = "onnx",
                          seconds: float | None = None) -> list[PoseResult]:
    """Every frame's pose result of ``path`` (a video, a ``.npz`` landmark recording, or a
    camera index: then ``seconds`` are required), or of its first ``seconds``.

    Raises:
        HepvisionError: unreadable input, or nobody in view in any frame.
    """
    from hepvision.pose.recording import load_recording

    camera = str(path).isdigit()
    if not camera and not Path(path).exists():
        raise HepvisionError(f"{path}: no such file")
    if str(path).lower().endswith(".npz"):
        results = list(load_recording(path).results)
        if seconds is not None:
            results = [r for r in results if r.timestamp_ms < seconds * 1000.0]
    else:
        from hepvision.capture.sources import open_source
        from hepvision.pose.factory import create_estimator
        from hepvision.session.offline import run_frames, video_frames

        with open_source(path) as src, create_estimator(backend, source_fps=src.fps) as pose:
            frames = video_frames(src, threaded=not camera)
            results = list(run_frames(_until_late(frames, seconds), pose).results)
    if not results:
        raise HepvisionError(f"{path}: no frames could be read")
    if not any(r.detected for r in results):
        raise NoPoseError(f"{path}: nobody was found in any of {len(results)} frames")
    return results


def _until_late(frames: Iterator[TimedFrame], seconds: float | None) -> Iterator[TimedFrame]:
    """``frames`` up to the first one past ``seconds`` (a camera never ends by itself)."""
    for item in frames:
        if seconds is not None and item.frame.timestamp_ms >= seconds * 1000.0:
            return
        yield item
