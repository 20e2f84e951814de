"""Pose estimation: the ``PoseEstimator`` protocol and its backends.

The only package that imports ``onnxruntime`` or ``mediapipe`` (each lazily, in its backend).
"""

from hepvision.pose.base import PoseEstimator
from hepvision.pose.recording import (
    LandmarkRecording,
    ReplayPoseEstimator,
    load_recording,
    save_recording,
)
from hepvision.pose.types import BackendInfo, PoseLandmark, PoseResult

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
