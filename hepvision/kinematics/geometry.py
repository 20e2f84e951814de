"""Small vector helpers on plain Python floats (33-point frames are faster without numpy).

A 2D point is ``(x, y)`` in pixels with y down; a 3D point is ``(x, y, z)`` in metres.
"""

from __future__ import annotations

import math

Vec2 = tuple[float, float]
Vec3 = tuple[float, float, float]

#: Lower bound of the window every signed angle is wrapped into: [-120, 240) deg, so a shoulder
#: at 180 deg flexion reads 180, not -180.
WRAP_LOW_DEG = -120.0


def wrap_deg(angle_deg: float, low_deg: float = WRAP_LOW_DEG) -> float:
    """``angle_deg`` wrapped into ``[low_deg, low_deg + 360)``."""
    return (angle_deg - low_deg) % 360.0 + low_deg


def sub2(a: Vec2, b: Vec2) -> Vec2:
    return (a[0] - b[0], a[1] - b[1])


def mid2(a: Vec2, b: Vec2) -> Vec2:
    return ((a[0] + b[0]) * 0.5, (a[1] + b[1]) * 0.5)


def unit2(v: Vec2) -> Vec2:
    n = math.hypot(v[0], v[1])
    if not n > 0.0:
        return (math.nan, math.nan)
    return (v[0] / n, v[1] / n)


def dot2(a: Vec2, b: Vec2) -> float:
    return a[0] * b[0] + a[1] * b[1]


def perp2(v: Vec2) -> Vec2:
    """``v`` turned by 90 deg."""
    return (-v[1], v[0])


def frame_angle2(v: Vec2, down: Vec2, ahead: Vec2) -> float:
    """Angle (deg) of ``v`` from the unit axis ``down`` toward the unit axis ``ahead``."""
    return math.degrees(math.atan2(dot2(v, ahead), dot2(v, down)))


def interior2(a: Vec2, b: Vec2, c: Vec2) -> float:
    """Unsigned angle (deg) at ``b`` between ``a`` and ``c``."""
    u, w = sub2(a, b), sub2(c, b)
    cross = u[0] * w[1] - u[1] * w[0]
    return math.degrees(math.atan2(abs(cross), dot2(u, w)))


def sub3(a: Vec3, b: Vec3) -> Vec3:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def add3(a: Vec3, b: Vec3) -> Vec3:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def scale3(a: Vec3, k: float) -> Vec3:
    return (a[0] * k, a[1] * k, a[2] * k)


def mid3(a: Vec3, b: Vec3) -> Vec3:
    return ((a[0] + b[0]) * 0.5, (a[1] + b[1]) * 0.5, (a[2] + b[2]) * 0.5)


def dot3(a: Vec3, b: Vec3) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def cross3(a: Vec3, b: Vec3) -> Vec3:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def unit3(v: Vec3) -> Vec3:
    n = math.sqrt(dot3(v, v))
    if not n > 0.0:
        return (math.nan, math.nan, math.nan)
    return (v[0] / n, v[1] / n, v[2] / n)


def reject3(v: Vec3, axis: Vec3) -> Vec3:
    """``v`` minus its component along the unit ``axis``."""
    return sub3(v, scale3(axis, dot3(v, axis)))


def frame_angle3(v: Vec3, down: Vec3, ahead: Vec3) -> float:
    """Angle (deg) of ``v`` projected on the plane (down, ahead), from ``down`` toward ``ahead``."""
    return math.degrees(math.atan2(dot3(v, ahead), dot3(v, down)))


def interior3(a: Vec3, b: Vec3, c: Vec3) -> float:
    """Unsigned angle (deg) at ``b`` between ``a`` and ``c``."""
    u, w = sub3(a, b), sub3(c, b)
    cr = cross3(u, w)
    return math.degrees(math.atan2(math.sqrt(dot3(cr, cr)), dot3(u, w)))
