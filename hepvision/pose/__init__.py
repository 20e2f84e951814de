"""Pose estimation: the ``PoseEstimator`` protocol and its backends.

The only package that imports ``onnxruntime`` or ``mediapipe`` (each lazily, in its backend).
The names below are loaded on first use, so a light submodule (:mod:`hepvision.pose.variants`,
whose model names the command line offers) imports without numpy or OpenCV: a server-only
install has neither.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hepvision.pose.base import PoseEstimator
    from hepvision.pose.recording import (
        LandmarkRecording,
        ReplayPoseEstimator,
        load_recording,
        save_recording,
    )
    from hepvision.pose.types import BackendInfo, PoseLandmark, PoseResult

_HOMES = {
    "PoseEstimator": "hepvision.pose.base",
    "LandmarkRecording": "hepvision.pose.recording",
    "ReplayPoseEstimator": "hepvision.pose.recording",
    "load_recording": "hepvision.pose.recording",
    "save_recording": "hepvision.pose.recording",
    "BackendInfo": "hepvision.pose.types",
    "PoseLandmark": "hepvision.pose.types",
    "PoseResult": "hepvision.pose.types",
}

__all__ = [
    "BackendInfo",
    "LandmarkRecording",
    "PoseEstimator",
    "PoseLandmark",
    "PoseResult",
    "ReplayPoseEstimator",
    "load_recording",
    "save_recording",
]


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module 'hepvision.pose' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
