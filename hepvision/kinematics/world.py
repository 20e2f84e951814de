"""World (3D) geometry of the clinical angles: metres, the body's own planes.

The body's sagittal and frontal planes are built from the shoulder and hip lines; projected
angles are the segments' projections on those planes, hinge angles (knee, elbow) the 3D
interior angle. Usable from any view, but monocular depth is an estimate (see
:mod:`hepvision.kinematics.angles` for when a world reading is used).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from hepvision.kinematics.definitions import AngleName, Side, other, side_ids
from hepvision.kinematics.geometry import (
    Vec3,
    cross3,
    dot3,
    frame_angle3,
    interior3,
    mid3,
    reject3,
    sub3,
    unit3,
    wrap_deg,
)
from hepvision.vocabulary import PoseLandmark as L

_DOWN3: Vec3 = (0.0, 1.0, 0.0)
_UP3: Vec3 = (0.0, -1.0, 0.0)
Points3 = Sequence[Sequence[float]]


def body_axes(points_m: Points3) -> tuple[Vec3, Vec3, Vec3]:
    """Unit (left, down, ahead) axes of the body from 33 world points (left from the shoulder
    and hip lines; down along the trunk, orthogonal to left; ahead = down x left)."""
    p = points_m
    left = unit3(tuple(x + y for x, y in zip(
        unit3(sub3(p[L.LEFT_SHOULDER], p[L.RIGHT_SHOULDER])),
        unit3(sub3(p[L.LEFT_HIP], p[L.RIGHT_HIP])), strict=True)))
    down = unit3(reject3(sub3(mid3(p[L.LEFT_HIP], p[L.RIGHT_HIP]),
                              mid3(p[L.LEFT_SHOULDER], p[L.RIGHT_SHOULDER])), left))
    return left, down, cross3(down, left)


def world_angle_deg(name: AngleName, side: Side, points_m: Points3 | np.ndarray) -> float:
    """Raw 3D value of ``name`` on ``side`` from 33 (x, y, z) world points in metres, no gating.

    World frame: x right, y down, z away from the camera (MediaPipe's); the vertical is y.
    """
    p = points_m.tolist() if isinstance(points_m, np.ndarray) else points_m
    s, e, w, h, k, a, he, t = (p[i] for i in side_ids(side))
    os_, _, _, oh, *_ = (p[i] for i in side_ids(other(side)))
    sign = 1.0 if side is Side.LEFT else -1.0
    left, down, ahead = body_axes(p)
    lat = (left[0] * sign, left[1] * sign, left[2] * sign)
    sm, hm = mid3(s, os_), mid3(h, oh)
    if name is AngleName.ELBOW_FLEXION:
        return 180.0 - interior3(s, e, w)
    if name is AngleName.TRUNK_FLEXION:
        ahead_h = unit3(cross3(_DOWN3, left))
        tr = sub3(sm, hm)
        return wrap_deg(math.degrees(math.atan2(dot3(tr, ahead_h), dot3(tr, _UP3))))
    if name is AngleName.TRUNK_LATERAL_LEAN:
        lat_h = unit3(reject3(lat, _DOWN3))
        tr = sub3(sm, hm)
        return math.degrees(math.atan2(dot3(tr, lat_h), dot3(tr, _UP3)))
    if name is AngleName.PELVIC_DROP:
        v = sub3(h, oh)
        horiz = reject3(v, _DOWN3)
        return math.degrees(math.atan2(dot3(v, _DOWN3), math.sqrt(dot3(horiz, horiz))))
    if name is AngleName.HIP_ABDUCTION:
        lat_p = unit3(sub3(h, oh))
        down_p = unit3(reject3(sub3(hm, sm), lat_p))
        return wrap_deg(frame_angle3(sub3(k, h), down_p, lat_p))
    if name is AngleName.SHOULDER_ABDUCTION:
        down_t = unit3(sub3(hm, sm))
        lat_s = unit3(reject3(sub3(s, os_), down_t))
        return wrap_deg(frame_angle3(sub3(e, s), down_t, lat_s))
    if name is AngleName.HIP_FLEXION:
        return wrap_deg(frame_angle3(sub3(k, h), down, ahead))
    if name is AngleName.SHOULDER_FLEXION:
        return wrap_deg(frame_angle3(sub3(e, s), down, ahead))
    if name is AngleName.KNEE_FLEXION:
        value = 180.0 - interior3(h, k, a)
        bend = frame_angle3(sub3(k, h), down, ahead) - frame_angle3(sub3(a, k), down, ahead)
        return -value if wrap_deg(bend, -180.0) < 0.0 else value
    # ANKLE_DORSIFLEXION
    return wrap_deg(frame_angle3(sub3(t, he), down, ahead)
                    - frame_angle3(sub3(a, k), down, ahead) - 90.0)
