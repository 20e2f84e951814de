"""Small vector helpers on plain Python floats (33-point frames are faster without numpy).

A 2D point is ``(x, y)`` in pixels with y down; a 3D point is ``(x, y, z)`` in metres. The
helpers take any sequence of floats (a ``Vec2`` / ``Vec3`` or a landmark row of a frame's
nested lists) and return tuples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Vec2 = tuple[float, float]
Vec3 = tuple[float, float, float]
#: An (x, y) or (x, y, z) point as given: a tuple or one landmark row (extra items ignored).
Point = Sequence[float]
#: One frame's landmark points, indexed by landmark id.
Points = Sequence[Sequence[float]]

#: Lower bound of the window every signed angle is wrapped into: [-120, 240) deg, so a shoulder
#: at 180 deg flexion reads 180, not -180.
WRAP_LOW_DEG = -120.0


def wrap_deg(angle_deg: float, low_deg: float = WRAP_LOW_DEG) -> float:
    """``angle_deg`` wrapped into ``[low_deg, low_deg + 360)``."""
    return (angle_deg - low_deg) % 360.0 + low_deg


def sub2(a: Point, b: Point) -> Vec2:
    return (a[0] - b[0], a[1] - b[1])


def mid2(a: Point, b: Point) -> Vec2:
    return ((a[0] + b[0]) * 0.5, (a[1] + b[1]) * 0.5)


def unit2(v: Point) -> Vec2:
    n = math.hypot(v[0], v[1])
    if not n > 0.0:
        return (math.nan, math.nan)
    return (v[0] / n, v[1] / n)


def dot2(a: Point, b: Point) -> float:
    return a[0] * b[0] + a[1] * b[1]


def perp2(v: Point) -> Vec2:
    """``v`` turned by 90 deg."""
    return (-v[1], v[0])


def frame_angle2(v: Point, down: Point, ahead: Point) -> float:
    """Angle (deg) of ``v`` from the unit axis ``down`` toward the unit axis ``ahead``."""
    return math.degrees(math.atan2(dot2(v, ahead), dot2(v, down)))


def interior2(a: Point, b: Point, c: Point) -> float:
    """Unsigned angle (deg) at ``b`` between ``a`` and ``c``."""
    u, w = sub2(a, b), sub2(c, b)
    cross = u[0] * w[1] - u[1] * w[0]
    return math.degrees(math.atan2(abs(cross), dot2(u, w)))


def sub3(a: Point, b: Point) -> Vec3:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def add3(a: Point, b: Point) -> Vec3:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def scale3(a: Point, k: float) -> Vec3:
    return (a[0] * k, a[1] * k, a[2] * k)


def mid3(a: Point, b: Point) -> Vec3:
    return ((a[0] + b[0]) * 0.5, (a[1] + b[1]) * 0.5, (a[2] + b[2]) * 0.5)


def dot3(a: Point, b: Point) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def cross3(a: Point, b: Point) -> Vec3:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def unit3(v: Point) -> Vec3:
    n = math.sqrt(dot3(v, v))
    if not n > 0.0:
        return (math.nan, math.nan, math.nan)
    return (v[0] / n, v[1] / n, v[2] / n)


def reject3(v: Point, axis: Point) -> Vec3:
    """``v`` minus its component along the unit ``axis``."""
    return sub3(v, scale3(axis, dot3(v, axis)))


def frame_angle3(v: Point, down: Point, ahead: Point) -> float:
    """Angle (deg) of ``v`` projected on the plane (down, ahead), from ``down`` toward ``ahead``."""
    return math.degrees(math.atan2(dot3(v, ahead), dot3(v, down)))


def interior3(a: Point, b: Point, c: Point) -> float:
    """Unsigned angle (deg) at ``b`` between ``a`` and ``c``."""
    u, w = sub3(a, b), sub3(c, b)
    cr = cross3(u, w)
    return math.degrees(math.atan2(math.sqrt(dot3(cr, cr)), dot3(u, w)))
