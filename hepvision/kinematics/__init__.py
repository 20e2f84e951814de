"""Kinematics: the only home of angle and vector math; clinical (neutral-zero) definitions."""

from hepvision.kinematics.angles import (
    AngleReading,
    FramePoints,
    Source,
    image_angle_deg,
    measure_all,
    measure_angle,
    measure_result,
    world_angle_deg,
)
from hepvision.kinematics.definitions import AngleName, DistanceName, Plane, Side, Unmeasurable
from hepvision.kinematics.distances import image_distance, measure_distance
from hepvision.kinematics.measures import MeasureName, measure, measure_landmarks
from hepvision.kinematics.view import SessionView, View, ViewEstimate, estimate_view

__all__ = [
    "AngleName", "AngleReading", "DistanceName", "FramePoints", "MeasureName", "Plane", "SessionView", "Side",
    "Source", "Unmeasurable", "View", "ViewEstimate", "estimate_view", "image_angle_deg",
    "image_distance", "measure", "measure_all", "measure_angle", "measure_distance", "measure_landmarks", "measure_result",
    "world_angle_deg",
]
