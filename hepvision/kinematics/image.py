"""Image (2D) geometry of the clinical angles: pixels, y down, valid only when the camera faces
the motion's plane.

Sagittal angles use the same-side shoulder-to-hip line as the trunk (the goniometer's lateral
trunk midline) and the anterior direction from the head (nose against the ears) and feet (heel
to toe); frontal angles use the shoulder and hip midpoints. The gravity-referenced ones (trunk
flexion, lateral lean, pelvic drop) assume a level camera. See
:mod:`hepvision.kinematics.angles` for when an image reading is used.
"""

from __future__ import annotations

import math

import numpy as np

from hepvision.kinematics.definitions import AngleName, Plane, Side, other, side_ids
from hepvision.kinematics.geometry import (
    Point,
    Points,
    Vec2,
    dot2,
    frame_angle2,
    interior2,
    mid2,
    perp2,
    sub2,
    unit2,
    wrap_deg,
)
from hepvision.vocabulary import PoseLandmark as L

_NAN = math.nan
#: One side's (shoulder, elbow, wrist, hip, knee, ankle, heel, toe) points.
SidePoints = tuple[Point, ...]


def _anterior_cue2(p: Points) -> Vec2:
    """Sum of unit vectors pointing anterior: nose from the ears, toes from the heels."""
    cx = cy = 0.0
    ears = [p[L.LEFT_EAR], p[L.RIGHT_EAR]]
    ears = [e for e in ears if e[0] == e[0]]
    nose = p[L.NOSE]
    if ears and nose[0] == nose[0]:
        ex = sum(e[0] for e in ears) / len(ears)
        ey = sum(e[1] for e in ears) / len(ears)
        u = unit2((nose[0] - ex, nose[1] - ey))
        if u[0] == u[0]:
            cx, cy = cx + u[0], cy + u[1]
    for heel, toe in ((L.LEFT_HEEL, L.LEFT_FOOT_INDEX), (L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX)):
        u = unit2(sub2(p[toe], p[heel]))
        if u[0] == u[0]:
            cx, cy = cx + u[0], cy + u[1]
    return (cx, cy)


def image_angle_deg(name: AngleName, side: Side, points_px: Points | np.ndarray, *,
                    upper_body: bool = False) -> float:
    """Raw 2D value of ``name`` on ``side`` from 33 (x, y) pixel points (y down), no gating.

    ``points_px``: (33, 2) array or nested list; NaN points give NaN. ``upper_body``: the hips
    are out of view (a seated patient framed from the waist up), so shoulder abduction takes
    the trunk line as the perpendicular to the shoulder line, and shoulder flexion takes the
    image vertical (valid for an upright trunk and a level camera).
    """
    p: Points = points_px.tolist() if isinstance(points_px, np.ndarray) else points_px
    own: SidePoints = tuple(p[i] for i in side_ids(side))
    if upper_body:
        return _upper_body_deg(name, own, p[side_ids(other(side))[0]], p)
    plane = name.plane
    if plane is Plane.SAGITTAL:
        return _sagittal_deg(name, own, p)
    if plane is Plane.LIMB:  # ELBOW_FLEXION
        s, e, w, *_ = own
        return 180.0 - interior2(s, e, w)
    return _frontal_deg(name, own, tuple(p[i] for i in side_ids(other(side))))


def _upper_body_deg(name: AngleName, own: SidePoints, os_: Point, p: Points) -> float:
    """Shoulder abduction / flexion with the hips out of view (NaN for any other angle);
    ``os_``: the other shoulder."""
    s, e, *_ = own
    if name is AngleName.SHOULDER_ABDUCTION:
        lat = unit2(sub2(s, os_))
        down = perp2(lat)
        if down[1] < 0.0:
            down = (-down[0], -down[1])
        return wrap_deg(frame_angle2(sub2(e, s), down, lat))
    if name is AngleName.SHOULDER_FLEXION:
        down = (0.0, 1.0)
        ahead = perp2(down)
        if dot2(ahead, _anterior_cue2(p)) < 0.0:
            ahead = (-ahead[0], -ahead[1])
        return wrap_deg(frame_angle2(sub2(e, s), down, ahead))
    return _NAN


def _sagittal_deg(name: AngleName, own: SidePoints, p: Points) -> float:
    """A sagittal-plane angle: trunk, hip, knee, ankle or shoulder flexion."""
    s, e, _, h, k, a, he, t = own
    cue = _anterior_cue2(p)
    if name is AngleName.TRUNK_FLEXION:
        fs = 1.0 if cue[0] >= 0.0 else -1.0
        tx, ty = s[0] - h[0], s[1] - h[1]
        value = math.degrees(math.atan2(tx * fs, -ty))
        return wrap_deg(value) if cue[0] != 0.0 else _NAN
    down = unit2(sub2(h, s))
    ahead = perp2(down)
    side_sign = dot2(ahead, cue)
    if not side_sign != 0.0:
        return _NAN
    if side_sign < 0.0:
        ahead = (-ahead[0], -ahead[1])
    if name is AngleName.HIP_FLEXION:
        value = frame_angle2(sub2(k, h), down, ahead)
    elif name is AngleName.KNEE_FLEXION:
        value = frame_angle2(sub2(k, h), down, ahead) - frame_angle2(sub2(a, k), down, ahead)
    elif name is AngleName.ANKLE_DORSIFLEXION:
        value = (frame_angle2(sub2(t, he), down, ahead)
                 - frame_angle2(sub2(a, k), down, ahead) - 90.0)
    else:  # SHOULDER_FLEXION
        value = frame_angle2(sub2(e, s), down, ahead)
    return wrap_deg(value)


def _frontal_deg(name: AngleName, own: SidePoints, opp: SidePoints) -> float:
    """A frontal-plane angle: shoulder or hip abduction, trunk lateral lean, pelvic drop;
    ``opp``: the other side's points."""
    s, e, _, h, k, *_ = own
    os_, _, _, oh, *_ = opp
    sm, hm = mid2(s, os_), mid2(h, oh)
    if name is AngleName.SHOULDER_ABDUCTION:
        down = unit2(sub2(hm, sm))
        lat = perp2(down)
        if dot2(lat, sub2(s, os_)) < 0.0:
            lat = (-lat[0], -lat[1])
        return wrap_deg(frame_angle2(sub2(e, s), down, lat))
    if name is AngleName.HIP_ABDUCTION:
        lat = unit2(sub2(h, oh))
        down = perp2(lat)
        if dot2(down, sub2(hm, sm)) < 0.0:
            down = (-down[0], -down[1])
        return wrap_deg(frame_angle2(sub2(k, h), down, lat))
    if name is AngleName.TRUNK_LATERAL_LEAN:
        ls = 1.0 if s[0] - os_[0] >= 0.0 else -1.0
        tx, ty = sm[0] - hm[0], sm[1] - hm[1]
        return math.degrees(math.atan2(tx * ls, -ty))
    # PELVIC_DROP
    return math.degrees(math.atan2(h[1] - oh[1], abs(h[0] - oh[0])))
