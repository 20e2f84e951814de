"""Choosing a pose backend by name."""

from __future__ import annotations

from pathlib import Path

from hepvision.errors import HepvisionError
from hepvision.pose.base import PoseEstimator
from hepvision.vocabulary import BACKENDS, MODEL_BACKENDS

__all__ = ["BACKENDS", "MODEL_BACKENDS", "create_estimator"]


def create_estimator(name: str, *, recording: str | Path | None = None) -> PoseEstimator:
    """A pose backend: ``onnx`` (default), ``mediapipe``, or ``replay`` of ``recording``."""
    if name == "onnx":
        from hepvision.pose.onnx_backend import OnnxPoseEstimator

        return OnnxPoseEstimator()
    if name == "mediapipe":
        from hepvision.pose.mediapipe_backend import MediaPipePoseEstimator

        return MediaPipePoseEstimator()
    if name == "replay":
        from hepvision.pose.recording import ReplayPoseEstimator

        if recording is None:
            raise HepvisionError("the replay backend needs a landmark recording (.npz)")
        return ReplayPoseEstimator(recording)
    raise HepvisionError(f"unknown pose backend {name!r}; choose from {', '.join(BACKENDS)}")
