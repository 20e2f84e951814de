"""Normalised distances a template may count instead of an angle (dimensionless ratios).

Image vertical is taken as gravity (a level camera); each distance is divided by a body segment
length so it does not depend on how far the patient stands from the camera. Not measurable when
the landmarks are not visible. See :class:`DistanceName` for the definitions.
"""

from __future__ import annotations

import math

from hepvision.kinematics.angles import MIN_VISIBILITY, FramePoints
from hepvision.kinematics.definitions import distance_landmarks, side_ids
from hepvision.vocabulary import DistanceName, Side


def image_distance(name: DistanceName, side: Side, points_px) -> float:
    """Raw value of ``name`` from 33 (x, y) pixel points (y down); no gating."""
    s, e, w, h, k, a, he, t = (points_px[i] for i in side_ids(side))
    if name is DistanceName.HEEL_LIFT:
        ref = math.hypot(k[0] - a[0], k[1] - a[1])
        return (t[1] - he[1]) / ref if ref > 0.0 else math.nan
    if name is DistanceName.WRIST_HEIGHT:
        ref = math.hypot(s[0] - h[0], s[1] - h[1])
        return (s[1] - w[1]) / ref if ref > 0.0 else math.nan
    ref = math.hypot(h[0] - k[0], h[1] - k[1])  # HIP_HEIGHT
    return (a[1] - h[1]) / ref if ref > 0.0 else math.nan


def measure_distance(frame: FramePoints, name: DistanceName, side: Side) -> tuple[float, float]:
    """(value, confidence) of ``name`` on ``side``; (NaN, 0) when not visible."""
    vis = min(frame.visibility[i] for i in distance_landmarks(name, side))
    if not vis >= MIN_VISIBILITY:
        return math.nan, 0.0
    value = image_distance(name, side, frame.image_px)
    return (value, vis) if value == value else (math.nan, 0.0)
