"""Hinge angles estimated from reach, for counting when the joint itself cannot be read."""

from __future__ import annotations

import math

from hepvision.kinematics.angles import (
    MIN_VISIBILITY,
    AngleReading,
    FramePoints,
    Source,
    unmeasurable,
)
from hepvision.kinematics.definitions import side_ids
from hepvision.kinematics.foreshortening import ANGLE_SEGMENTS, HINGES
from hepvision.vocabulary import AngleName, Side, Unmeasurable

_SIDE_IDS = {side: side_ids(side) for side in Side}


#: Confidence of a reach estimate relative to an image reading.
REACH_TRUST = 0.5


def reach_angle(frame: FramePoints, name: AngleName, side: Side) -> AngleReading:
    """A hinge angle (elbow, knee flexion) estimated from its reach: the image distance ``d``
    between the limb's end points (shoulder-wrist, hip-ankle) and the two segments' square-on
    lengths ``u``, ``f`` (their longest recent image lengths, see
    :mod:`~hepvision.kinematics.foreshortening`): flexion = 180 - acos((u^2 + f^2 - d^2) /
    (2 u f)). It needs no view of the joint itself (an elbow flaring toward the camera in a
    push-up), but assumes the end-to-end line lies in the image plane, so it over-reads flexion
    when that line turns toward the camera: the counter may count with it (the movement's
    timing is right), ROM never uses it. NaN without segment history."""
    parts = HINGES.get(name)
    ratios = frame.segment_ratio
    if parts is None or not ratios:
        return unmeasurable(name, side, Source.REACH, Unmeasurable.DEGENERATE)
    ids = _SIDE_IDS[side]
    if not min(frame.visibility[ids[i]] for i in parts) >= MIN_VISIBILITY:
        return unmeasurable(name, side, Source.REACH, Unmeasurable.NOT_VISIBLE)
    segs = ANGLE_SEGMENTS[name]
    r_u, r_f = ratios.get((side, segs[0]), 0.0), ratios.get((side, segs[1]), 0.0)
    p0, p1, p2 = (frame.image_px[ids[i]] for i in parts)
    if not (r_u > 0.0 and r_f > 0.0):
        return unmeasurable(name, side, Source.REACH, Unmeasurable.DEGENERATE)
    u = math.hypot(p1[0] - p0[0], p1[1] - p0[1]) / r_u
    f = math.hypot(p2[0] - p1[0], p2[1] - p1[1]) / r_f
    d = math.hypot(p2[0] - p0[0], p2[1] - p0[1])
    if not (u > 0.0 and f > 0.0 and d == d):
        return unmeasurable(name, side, Source.REACH, Unmeasurable.DEGENERATE)
    cos_interior = max(-1.0, min(1.0, (u * u + f * f - d * d) / (2.0 * u * f)))
    value = 180.0 - math.degrees(math.acos(cos_interior))
    vis = min(frame.visibility[ids[i]] for i in parts)
    return AngleReading(name, side, name.plane, value, vis * REACH_TRUST, Source.REACH)
