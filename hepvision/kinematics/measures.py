"""Form measures: landmark relations the form rules and some counters read, beyond the clinical
joint angles of :class:`~hepvision.kinematics.AngleName`.

Each measure has a unit (degrees or a dimensionless ratio) and a source: world (3D, usable from
any view but with monocular depth) or image (2D, gated to the view that shows it). A measure
that cannot be read in a frame is NaN (landmarks not visible, wrong view, no world landmarks);
callers treat NaN as "no evidence", never as a pass or a fault.

Definitions (see :class:`MeasureName`):

- ``knee_valgus``: frontal-plane projection angle (FPPA) at the knee, image, front view only
  (frontal plane within 30 deg of facing the camera): the angle between the thigh (hip to
  knee) and the shank (knee to ankle), positive when the knee lies medial to the hip-ankle line.
  Limit: a knee flexed toward the camera also moves in the image; valid for moderate flexion.
- ``hip_sag``: deviation of the body line at the hip, 180 - interior(shoulder, hip, ankle),
  positive when the hip is below the shoulder-ankle line (toward gravity), negative when piked.
  World landmarks when present, else image; for prone postures (plank, push-up).
- ``trunk_incline``: the trunk line (hip to shoulder) against the horizontal, 0..90 deg
  (0 lying, 90 upright); world when present, else image. Gravity-referenced (level camera).
- ``shoulder_elevation``: vertical distance from the ear down to the shoulder, divided by the
  shoulder width; image, front view only. A shrug lowers it; rules compare it with its rest
  level, since the absolute value differs between people.
- ``knee_separation``: 3D distance between the knees divided by the thigh length (world only);
  the opening of a clamshell.
- ``shoulder_external_rotation``: the forearm's direction in the body's transverse plane, from
  straight ahead toward the reading's side, degrees (world only); meaningful with the elbow
  bent about 90 deg at the side.
- ``trunk_rotation``: the shoulder line turned against the hip line about the trunk's long
  axis, degrees, positive when the reading's side shoulder moves back (world only).
"""

from __future__ import annotations

import math
from enum import Enum

from hepvision.kinematics.angles import (
    MIN_IMAGE_PLANE_FACTOR,
    MIN_VISIBILITY,
    FramePoints,
    body_axes,
)
from hepvision.kinematics.definitions import Side, other, side_ids
from hepvision.kinematics.geometry import cross3, dot3, interior2, interior3, sub2, sub3, unit3
from hepvision.pose.types import PoseLandmark as L

_NAN = math.nan


class MeasureName(str, Enum):
    """The closed set of form measures (see the module docstring for definitions)."""

    KNEE_VALGUS = "knee_valgus"
    HIP_SAG = "hip_sag"
    TRUNK_INCLINE = "trunk_incline"
    SHOULDER_ELEVATION = "shoulder_elevation"
    KNEE_SEPARATION = "knee_separation"
    SHOULDER_EXTERNAL_ROTATION = "shoulder_external_rotation"
    TRUNK_ROTATION = "trunk_rotation"

    @property
    def unit(self) -> str:
        """``"deg"`` or ``"ratio"``."""
        return "ratio" if self in (MeasureName.SHOULDER_ELEVATION,
                                   MeasureName.KNEE_SEPARATION) else "deg"


_S, _E, _W, _H, _K, _A = range(6)


def _visible(frame: FramePoints, ids) -> bool:
    vis = frame.visibility
    return all(vis[i] >= MIN_VISIBILITY for i in ids)


def measure_landmarks(name: MeasureName, side: Side) -> tuple[int, ...]:
    """Landmark ids whose visibility gates ``name`` on ``side``."""
    own, opp = side_ids(side), side_ids(other(side))
    if name is MeasureName.KNEE_VALGUS:
        return (own[_H], own[_K], own[_A], opp[_H])
    if name is MeasureName.HIP_SAG:
        return (own[_S], own[_H], own[_A])
    if name is MeasureName.TRUNK_INCLINE:
        return (own[_S], own[_H])
    if name is MeasureName.SHOULDER_ELEVATION:
        ear = L.LEFT_EAR if side is Side.LEFT else L.RIGHT_EAR
        return (int(ear), own[_S], opp[_S])
    if name is MeasureName.KNEE_SEPARATION:
        return (own[_H], own[_K], opp[_K])
    if name is MeasureName.SHOULDER_EXTERNAL_ROTATION:
        return (own[_S], own[_E], own[_W], opp[_S], own[_H], opp[_H])
    return (own[_S], opp[_S], own[_H], opp[_H])  # TRUNK_ROTATION


def measure(frame: FramePoints, name: MeasureName, side: Side) -> float:
    """The value of ``name`` on ``side`` in this frame; NaN when not measurable."""
    if not _visible(frame, measure_landmarks(name, side)):
        return _NAN
    own, opp = side_ids(side), side_ids(other(side))
    p, w = frame.image_px, frame.world_m
    if name is MeasureName.KNEE_VALGUS:
        if frame.frontal_factor < MIN_IMAGE_PLANE_FACTOR:
            return _NAN
        h, k, a, oh = p[own[_H]], p[own[_K]], p[own[_A]], p[opp[_H]]
        bend = 180.0 - interior2(h, k, a)
        # Medial = toward the other hip: the knee's offset from the hip-ankle line.
        ax, ay = a[0] - h[0], a[1] - h[1]
        cross_knee = ax * (k[1] - h[1]) - ay * (k[0] - h[0])
        cross_mid = ax * (oh[1] - h[1]) - ay * (oh[0] - h[0])
        return bend if cross_knee * cross_mid > 0.0 else -bend
    if name is MeasureName.HIP_SAG:
        pts = w if w is not None else p
        s, h, a = pts[own[_S]], pts[own[_H]], pts[own[_A]]
        if w is not None:
            bend = 180.0 - interior3(s, h, a)
            ax, ay = a[0] - s[0], a[1] - s[1]
            t = ((h[0] - s[0]) * ax + (h[1] - s[1]) * ay) / (ax * ax + ay * ay or _NAN)
            below = h[1] - (s[1] + t * ay)
        else:
            bend = 180.0 - interior2(s, h, a)
            ax, ay = a[0] - s[0], a[1] - s[1]
            t = ((h[0] - s[0]) * ax + (h[1] - s[1]) * ay) / (ax * ax + ay * ay or _NAN)
            below = h[1] - (s[1] + t * ay)
        return bend if below >= 0.0 else -bend  # y points down in both frames
    if name is MeasureName.TRUNK_INCLINE:
        if w is not None:
            v = sub3(w[own[_S]], w[own[_H]])
            horiz = math.hypot(v[0], v[2])
            return math.degrees(math.atan2(abs(v[1]), horiz))
        v = sub2(p[own[_S]], p[own[_H]])
        return math.degrees(math.atan2(abs(v[1]), abs(v[0])))
    if name is MeasureName.SHOULDER_ELEVATION:
        if frame.frontal_factor < MIN_IMAGE_PLANE_FACTOR:
            return _NAN
        ear = p[L.LEFT_EAR if side is Side.LEFT else L.RIGHT_EAR]
        s, os_ = p[own[_S]], p[opp[_S]]
        width = math.hypot(s[0] - os_[0], s[1] - os_[1])
        return (s[1] - ear[1]) / width if width > 0.0 else _NAN
    if w is None:
        return _NAN
    if name is MeasureName.KNEE_SEPARATION:
        k, ok, h = w[own[_K]], w[opp[_K]], w[own[_H]]
        d = sub3(k, ok)
        thigh = sub3(k, h)
        ref = math.sqrt(dot3(thigh, thigh))
        return math.sqrt(dot3(d, d)) / ref if ref > 0.0 else _NAN
    left, down, ahead = body_axes(w)
    sign = 1.0 if side is Side.LEFT else -1.0
    lat = (left[0] * sign, left[1] * sign, left[2] * sign)
    if name is MeasureName.SHOULDER_EXTERNAL_ROTATION:
        f = sub3(w[own[_W]], w[own[_E]])
        return math.degrees(math.atan2(dot3(f, lat), dot3(f, ahead)))
    # TRUNK_ROTATION: the shoulder line against the hip line, about the trunk axis.
    sh = sub3(w[own[_S]], w[opp[_S]])
    hp = sub3(w[own[_H]], w[opp[_H]])
    hp_lat = unit3(hp)
    hp_ahead = unit3(cross3(down, hp_lat)) if sign > 0 else unit3(cross3(hp_lat, down))
    # Positive when this side's shoulder goes back (away from the body's front).
    return -math.degrees(math.atan2(dot3(sh, hp_ahead), dot3(sh, hp_lat)))
