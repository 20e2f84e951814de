"""Form measures: landmark relations the form rules and some counters read, beyond the clinical
joint angles of :class:`~hepvision.kinematics.AngleName`.

Each measure has a unit (degrees, a dimensionless ratio or metres) and a source: world (3D,
usable from any view but with monocular depth) or image (2D, gated to the view that shows
it). A measure that cannot be read in a frame is NaN (landmarks not visible, wrong view, no
world landmarks); callers treat NaN as "no evidence", never as a pass or a fault.

Definitions (see :class:`MeasureName`):

- ``knee_valgus``: frontal-plane projection angle (FPPA) at the knee, image, front view only:
  the angle between the thigh (hip to knee) and the shank (knee to ankle), positive when the
  knee lies medial to the hip-ankle line. The body must face the camera within
  :data:`MAX_FPPA_YAW_DEG` (its yaw about the vertical, from the world shoulder and hip lines,
  so a forward trunk lean in a squat does not hide it): from a three-quarter view the knee's
  sagittal bend projects into the picture as a large false FPPA (a 25 deg yaw turns a 120 deg
  lunge knee into a 130 deg "valgus"). Limit: a knee flexed toward the camera also moves in
  the image; valid for moderate flexion.
- ``hip_sag``: deviation of the body line at the hip, 180 - interior(shoulder, hip, ankle),
  positive when the hip is below the shoulder-ankle line (toward gravity), negative when piked.
  World landmarks when present, else image; for prone postures (plank, push-up).
- ``trunk_incline``: the trunk line (hip to shoulder) against the horizontal, 0..90 deg
  (0 lying, 90 upright); world when present, else image. Gravity-referenced (level camera).
- ``shoulder_elevation``: vertical distance from the ears down to the shoulder (world, metres,
  front view only), plus the rise of the shoulder that normally goes with raising the arm
  (scapulohumeral rhythm, :func:`natural_shoulder_rise_m`), so a shrug (the shoulder hitched
  toward the ear beyond that) lowers it and a normal arm raise does not. Rules compare it with
  its rest level (arms down), since the absolute value differs between people.
- ``knee_separation``: 3D distance between the knees divided by the thigh length (world only);
  the opening of a clamshell.
- ``shoulder_external_rotation``: the forearm's direction in the body's transverse plane, from
  straight ahead toward the reading's side, degrees (world only); meaningful with the elbow
  bent about 90 deg at the side.
- ``trunk_rotation``: the shoulder line turned about the vertical away from the image plane,
  degrees, positive when the reading's side shoulder moves back (world only; the hip line only
  tells which way the patient faces). It assumes the pelvis square to the camera (a front view,
  which trunk-rotation templates require): a pelvis turned by some degrees adds them. The hip
  line is not subtracted because its turn rests on the monocular depth of two points 25 cm
  apart, which roughly doubles the frame-to-frame noise (about 10 deg instead of 7 on the
  synthetic noise model) and makes the resting level cross the counter's start threshold.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from hepvision.kinematics.angles import (
    MIN_IMAGE_PLANE_FACTOR,
    MIN_VISIBILITY,
    FramePoints,
    body_axes,
)
from hepvision.kinematics.definitions import other, side_ids
from hepvision.kinematics.geometry import (
    Point,
    cross3,
    dot3,
    interior2,
    interior3,
    sub2,
    sub3,
    unit3,
)
from hepvision.vocabulary import MeasureName, Side
from hepvision.vocabulary import PoseLandmark as L

_NAN = math.nan
_DOWN = (0.0, 1.0, 0.0)  # world vertical (y down)


#: Knee valgus (FPPA) is read only with the body turned at most this far from the camera.
MAX_FPPA_YAW_DEG = 15.0
_MIN_FPPA_FACING = math.cos(math.radians(MAX_FPPA_YAW_DEG))
#: Scapulohumeral rhythm: the shoulder landmark rises about this much (metres, world) as the
#: arm goes from hanging to above shoulder height (median of the two real front-view abduction
#: clips: 0.04-0.05 m from 90 deg up, in proportion below).
NATURAL_RISE_M = 0.048
NATURAL_RISE_FROM_DEG = 15.0
NATURAL_RISE_FULL_DEG = 90.0


def natural_shoulder_rise_m(arm_elevation_deg: float) -> float:
    """How far the shoulder normally rises with the arm raised ``arm_elevation_deg`` from
    hanging (any plane), metres: 0 below 15 deg, rising linearly to :data:`NATURAL_RISE_M` at
    90 deg and level above."""
    x = (arm_elevation_deg - NATURAL_RISE_FROM_DEG) / (NATURAL_RISE_FULL_DEG
                                                       - NATURAL_RISE_FROM_DEG)
    return NATURAL_RISE_M * min(1.0, max(0.0, x))


_S, _E, _W, _H, _K, _A = range(6)


def facing_factor(frame: FramePoints) -> float:
    """How squarely the body faces (or turns its back to) the camera about the vertical: the
    cosine of its yaw, 0..1, from the world shoulder and hip lines (so trunk flexion or a
    lying posture does not lower it); from the view estimate without world landmarks."""
    w = frame.world_m
    if w is None:
        return frame.frontal_factor
    sh = sub3(w[L.LEFT_SHOULDER], w[L.RIGHT_SHOULDER])
    hp = sub3(w[L.LEFT_HIP], w[L.RIGHT_HIP])
    ns, nh = math.hypot(sh[0], sh[2]), math.hypot(hp[0], hp[2])
    if not (ns > 0.0 and nh > 0.0):
        return _NAN
    lx, lz = sh[0] / ns + hp[0] / nh, sh[2] / ns + hp[2] / nh
    n = math.hypot(lx, lz)
    return abs(lx) / n if n > 0.0 else _NAN


def _visible(frame: FramePoints, ids: Iterable[int]) -> bool:
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
        return (int(ear), own[_S], own[_E])
    if name is MeasureName.KNEE_SEPARATION:
        return (own[_H], own[_K], opp[_K])
    if name is MeasureName.SHOULDER_EXTERNAL_ROTATION:
        return (own[_S], own[_E], own[_W], opp[_S], own[_H], opp[_H])
    return (own[_S], opp[_S], own[_H], opp[_H])  # TRUNK_ROTATION


def _knee_valgus(h: Point, k: Point, a: Point, oh: Point) -> float:
    """FPPA from image points: hip, knee, ankle and the other hip (see the module docstring)."""
    bend = 180.0 - interior2(h, k, a)
    # Medial = toward the other hip: the knee's offset from the hip-ankle line.
    ax, ay = a[0] - h[0], a[1] - h[1]
    cross_knee = ax * (k[1] - h[1]) - ay * (k[0] - h[0])
    cross_mid = ax * (oh[1] - h[1]) - ay * (oh[0] - h[0])
    return bend if cross_knee * cross_mid > 0.0 else -bend


def _hip_sag(frame: FramePoints, own: tuple[int, ...]) -> float:
    """Body-line bend at the hip, world landmarks when present, else image points."""
    w = frame.world_m
    pts = w if w is not None else frame.image_px
    s, h, a = pts[own[_S]], pts[own[_H]], pts[own[_A]]
    bend = 180.0 - (interior3(s, h, a) if w is not None else interior2(s, h, a))
    ax, ay = a[0] - s[0], a[1] - s[1]
    t = ((h[0] - s[0]) * ax + (h[1] - s[1]) * ay) / (ax * ax + ay * ay or _NAN)
    below = h[1] - (s[1] + t * ay)
    return bend if below >= 0.0 else -bend  # y points down in both frames


def measure(frame: FramePoints, name: MeasureName, side: Side) -> float:
    """The value of ``name`` on ``side`` in this frame; NaN when not measurable."""
    if not _visible(frame, measure_landmarks(name, side)):
        return _NAN
    own, opp = side_ids(side), side_ids(other(side))
    p, w = frame.image_px, frame.world_m
    if name is MeasureName.KNEE_VALGUS:
        if not facing_factor(frame) >= _MIN_FPPA_FACING:
            return _NAN
        return _knee_valgus(p[own[_H]], p[own[_K]], p[own[_A]], p[opp[_H]])
    if name is MeasureName.HIP_SAG:
        return _hip_sag(frame, own)
    if name is MeasureName.TRUNK_INCLINE:
        if w is not None:
            v = sub3(w[own[_S]], w[own[_H]])
            horiz = math.hypot(v[0], v[2])
            return math.degrees(math.atan2(abs(v[1]), horiz))
        v2 = sub2(p[own[_S]], p[own[_H]])
        return math.degrees(math.atan2(abs(v2[1]), abs(v2[0])))
    if name is MeasureName.SHOULDER_ELEVATION:
        if w is None or frame.frontal_factor < MIN_IMAGE_PLANE_FACTOR:
            return _NAN
        ear_y = w[L.LEFT_EAR if side is Side.LEFT else L.RIGHT_EAR][1]
        other_ear = L.RIGHT_EAR if side is Side.LEFT else L.LEFT_EAR
        if frame.visibility[other_ear] >= MIN_VISIBILITY:  # both ears: less noise, no tilt
            ear_y = 0.5 * (ear_y + w[other_ear][1])
        s, e = w[own[_S]], w[own[_E]]
        arm = unit3(sub3(e, s))
        elevation = math.degrees(math.acos(max(-1.0, min(1.0, arm[1]))))  # y is down
        return (s[1] - ear_y) + natural_shoulder_rise_m(elevation)
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
    # TRUNK_ROTATION: the shoulder line's turn about the vertical from the image plane, the
    # hip line giving only which way the patient faces (see the module docstring).
    sh = sub3(w[own[_S]], w[opp[_S]])
    hp = sub3(w[own[_H]], w[opp[_H]])
    ref_lat = (1.0 if hp[0] >= 0.0 else -1.0, 0.0, 0.0)
    ref_ahead = cross3(_DOWN, ref_lat) if sign > 0 else cross3(ref_lat, _DOWN)
    # Positive when this side's shoulder goes back (away from the body's front).
    return -math.degrees(math.atan2(dot3(sh, ref_ahead), dot3(sh, ref_lat)))
