"""Synthetic ground truth: a posed 3D skeleton seen through a pinhole camera.

Produces the same PoseResult records as the pose backends, with known joint angles and
repetition times; the built-in demo replays one of these recordings.
"""

from hepvision.synthetic.camera import PinholeCamera
from hepvision.synthetic.generator import (
    VIEW_YAWS_DEG,
    NoiseModel,
    SyntheticRecording,
    synthesize,
)
from hepvision.synthetic.motions import MOTIONS, Motion, Posture

__all__ = ["MOTIONS", "VIEW_YAWS_DEG", "Motion", "NoiseModel", "PinholeCamera", "Posture",
           "SyntheticRecording", "synthesize"]
