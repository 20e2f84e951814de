"""Clinical joint angles from one frame's landmarks, in the neutral-zero convention.

Two geometries, one set of definitions (see :class:`AngleName` for signs):

- **Image (2D)**: pixel positions, valid only when the camera faces the motion's plane. Sagittal
  angles use the same-side shoulder-to-hip line as the trunk (the goniometer's lateral trunk
  midline) and the anterior direction from the head (nose against the ears) and feet (heel to
  toe); frontal angles use the shoulder and hip midpoints. Segment angles are invariant to
  translation, scale and in-plane rotation of the image; the gravity-referenced ones
  (trunk flexion, lateral lean, pelvic drop) assume a level camera.
- **World (3D)**: metres, the body's own sagittal / frontal planes built from the shoulder and
  hip lines; angles are the segments' projections on those planes, hinge angles (knee, elbow)
  the 3D interior angle. Usable from any view, but monocular depth is an estimate, so a world
  reading's confidence is lower and falls as the plane turns away from the camera.

Which source reads a frame: the image when the view shows the angle's plane (within 30 deg)
and every segment the angle is drawn between is seen nearly square on (see
:mod:`hepvision.kinematics.foreshortening`); else world landmarks when they exist and, for a
foreshortened segment, agree that it points out of the image plane; else the reading is NaN
with its reason (``WRONG_VIEW``, ``FORESHORTENED``), never a wrong number.

Limits: a 2D reading from a view more than 30 deg away from its plane is not measurable
(NaN with ``Unmeasurable.WRONG_VIEW``); a projected angle (shoulder / hip flexion and
abduction) whose segment lies mostly out of its plane is not measurable (``OUT_OF_PLANE``, e.g.
hip abduction with the thigh flexed 90 deg); an arm raised past 90 deg in one plane projects
onto the other plane near 180 deg (the two descriptions of an overhead arm coincide); projected angles are exact only for motion within the
plane (combined shoulder flexion and abduction, for instance, is read as two projections).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hepvision.kinematics.definitions import (
    AngleName,
    Plane,
    Side,
    Unmeasurable,
    angle_landmarks,
    other,
    side_ids,
)
from hepvision.kinematics.foreshortening import (
    HINGES,
    SegmentKey,
    SegmentTracker,
    foreshortened,
    hinge_in_depth_deg,
    square_ratio,
    world_agreement,
)
from hepvision.kinematics.geometry import Points, cross3, dot3, sub3, unit3
from hepvision.kinematics.image import image_angle_deg
from hepvision.kinematics.view import ViewEstimate, estimate_view
from hepvision.kinematics.world import body_axes, world_angle_deg
from hepvision.pose.types import PoseResult
from hepvision.vocabulary import ReadingSource as Source

#: Landmarks below this visibility make a reading not measurable.
MIN_VISIBILITY = 0.5
#: A 2D reading needs its plane within 30 deg of facing the camera (cos 30 deg).
MIN_IMAGE_PLANE_FACTOR = math.cos(math.radians(30.0))
#: Confidence of a world reading relative to an image one with the same visibility.
WORLD_TRUST = 0.8
_NAN = math.nan
_SIDE_IDS = {side: side_ids(side) for side in Side}


@dataclass(frozen=True, slots=True)
class AngleReading:
    """One clinical angle in one frame.

    Attributes:
        name, side, plane: what was measured (plane from the angle's definition).
        value_deg: signed degrees, neutral-zero; NaN when not measurable.
        confidence: 0..1, the lowest landmark visibility times how squarely the plane faces the
            camera (times ``WORLD_TRUST`` for world readings); 0 when not measurable.
        source: image (2D) or world (3D) landmarks.
        reason: why the value is NaN, else None.
    """

    name: AngleName
    side: Side
    plane: Plane
    value_deg: float
    confidence: float
    source: Source
    reason: Unmeasurable | None = None


@dataclass(frozen=True, slots=True)
class FramePoints:
    """One frame's landmarks as plain floats, converted once per frame.

    Attributes:
        image_px: 33 (x, y) pixel positions (y down); NaN where unseen.
        visibility: 33 visibilities 0..1.
        world_m: 33 (x, y, z) world positions in metres (x right, y down, z away); None when
            the result has no finite world landmarks.
        view: the frame's view estimate.
        sagittal_factor, frontal_factor: how squarely each body plane faces the camera, 0..1
            (|cos| of the angle between the plane's normal and the optical axis), from the world
            body axes when present (so lying postures are handled), else from the view's yaw.
        segment_ratio: per (side, segment), its image length over its square-on length (see
            :mod:`~hepvision.kinematics.foreshortening`); None when no
            :class:`SegmentTracker` followed the session (a lone frame: no foreshortening
            evidence).
    """

    image_px: list[list[float]]
    visibility: list[float]
    world_m: list[list[float]] | None
    view: ViewEstimate
    sagittal_factor: float
    frontal_factor: float
    segment_ratio: dict[SegmentKey, float] | None = None

    @classmethod
    def from_result(cls, result: PoseResult, view: ViewEstimate | None = None,
                    segments: SegmentTracker | None = None) -> FramePoints:
        lm = result.landmarks
        px = (lm[:, :2] * np.array([result.image_width_px, result.image_height_px],
                                   dtype=np.float64)).tolist()
        world = result.world_landmarks
        world_m = world.tolist() if np.isfinite(world[[11, 12, 23, 24]]).all() else None
        view = view or estimate_view(result)
        sag, front = view.plane_factor_sagittal(), view.plane_factor_frontal()
        if world_m is not None:
            left, _, ahead = body_axes(world_m)
            if left[0] == left[0] and ahead[0] == ahead[0]:
                sag, front = abs(left[2]), abs(ahead[2])
        vis = lm[:, 3].tolist()
        ratios = None if segments is None else segments.update(
            result.timestamp_ms, px, vis, _SIDE_IDS, MIN_VISIBILITY)
        return cls(px, vis, world_m, view, sag, front, ratios)


# ---------------------------------------------------------------------------------------------
# Gated readings

#: Projected angles and the (proximal, distal) landmark parts of the segment they project.
_PROJECTED: dict[AngleName, tuple[int, int]] = {
    AngleName.SHOULDER_FLEXION: (0, 1), AngleName.SHOULDER_ABDUCTION: (0, 1),
    AngleName.HIP_FLEXION: (3, 4), AngleName.HIP_ABDUCTION: (3, 4),
}
#: A projected angle is not measurable when under half its segment lies in the plane.
MIN_IN_PLANE_FRACTION = 0.5


def in_plane_fraction(name: AngleName, side: Side, points_m: Points) -> float:
    """Share of the moving segment's length lying in the angle's plane (world landmarks);
    1.0 for angles that are not projections."""
    parts = _PROJECTED.get(name)
    if parts is None:
        return 1.0
    ids = side_ids(side)
    p = points_m
    seg = unit3(sub3(p[ids[parts[1]]], p[ids[parts[0]]]))
    left, _, ahead = body_axes(p)
    normal = left if name.plane is Plane.SAGITTAL else ahead
    off = dot3(seg, normal)
    return math.sqrt(max(0.0, 1.0 - off * off)) if off == off else math.nan


def plane_factor(name: AngleName, side: Side, frame: FramePoints) -> float:
    """How squarely the angle's plane faces the camera, 0..1."""
    plane = name.plane
    if plane is Plane.SAGITTAL:
        return frame.sagittal_factor
    if plane is Plane.FRONTAL:
        return frame.frontal_factor
    if frame.world_m is None:  # limb plane: unknown without depth
        return 1.0
    s, e, w = (frame.world_m[i] for i in side_ids(side)[:3])
    n = unit3(cross3(sub3(e, s), sub3(w, e)))
    return abs(n[2]) if n[2] == n[2] else 1.0  # a straight arm faces every way


def measure_angle(
    frame: FramePoints, name: AngleName, side: Side, source: Source | None = None
) -> AngleReading:
    """The reading of ``name`` on ``side``: from the image when the view shows its plane and its
    segments are seen square on, else from world landmarks (``source`` forces one). NaN with a
    reason when not measurable (see the module docstring)."""
    plane = name.plane
    vis = min(frame.visibility[i] for i in angle_landmarks(name, side))
    if not vis >= MIN_VISIBILITY:
        if name in _UPPER_BODY_FALLBACK and source is not Source.WORLD:
            return _measure_upper_body(frame, name, side)
        return unmeasurable(name, side, source or Source.IMAGE, Unmeasurable.NOT_VISIBLE)
    if frame.world_m is not None and name in _PROJECTED:
        frac = in_plane_fraction(name, side, frame.world_m)
        if frac < MIN_IN_PLANE_FRACTION:
            return unmeasurable(name, side, source or Source.IMAGE, Unmeasurable.OUT_OF_PLANE)
    factor = plane_factor(name, side, frame)
    short = foreshortened(frame.segment_ratio, name, side)
    image_ok = factor >= MIN_IMAGE_PLANE_FACTOR and not short
    if source is Source.IMAGE or (source is None and image_ok):
        if not image_ok:
            return unmeasurable(name, side, Source.IMAGE, Unmeasurable.FORESHORTENED if short
                                 and factor >= MIN_IMAGE_PLANE_FACTOR else Unmeasurable.WRONG_VIEW)
        value = image_angle_deg(name, side, frame.image_px)
        conf = vis * factor * square_ratio(frame.segment_ratio, name, side)
        src = Source.IMAGE
    else:
        if frame.world_m is None:
            return unmeasurable(name, side, Source.WORLD, Unmeasurable.FORESHORTENED if short
                                 else Unmeasurable.WRONG_VIEW)
        if short and name in HINGES and frame.segment_ratio:
            value = hinge_in_depth_deg(frame.image_px, frame.world_m, frame.segment_ratio,
                                       name, side, _SIDE_IDS[side])
            if not value == value:
                return unmeasurable(name, side, Source.WORLD, Unmeasurable.FORESHORTENED)
            conf = vis * WORLD_TRUST * square_ratio(frame.segment_ratio, name, side)
            return AngleReading(name, side, plane, value, conf, Source.WORLD)
        agreement = world_agreement(frame.world_m, short, _SIDE_IDS[side])
        if agreement < 0.0:
            return unmeasurable(name, side, Source.WORLD, Unmeasurable.FORESHORTENED)
        value = world_angle_deg(name, side, frame.world_m)
        conf = vis * WORLD_TRUST * (0.5 + 0.5 * factor) * agreement
        src = Source.WORLD
    if not value == value:
        return unmeasurable(name, side, src, Unmeasurable.DEGENERATE)
    return AngleReading(name, side, plane, value, conf, src)


def unmeasurable(name: AngleName, side: Side, source: Source,
                  reason: Unmeasurable) -> AngleReading:
    return AngleReading(name, side, name.plane, _NAN, 0.0, source, reason)


#: Shoulder angles that fall back to an upper-body trunk reference when the hips are out of
#: view, with the landmark parts they then need and the confidence factor they carry.
_UPPER_BODY_FALLBACK: dict[AngleName, tuple[int, ...]] = {
    AngleName.SHOULDER_ABDUCTION: (0, 1),
    AngleName.SHOULDER_FLEXION: (0, 1),
}
UPPER_BODY_TRUST = 0.7


def _measure_upper_body(frame: FramePoints, name: AngleName, side: Side) -> AngleReading:
    """A shoulder angle with the hips out of view (see ``image_angle_deg(upper_body=True)``)."""
    own, opp = side_ids(side), side_ids(other(side))
    ids = (own[0], own[1], opp[0])
    vis = min(frame.visibility[i] for i in ids)
    plane = name.plane
    if not vis >= MIN_VISIBILITY:
        return AngleReading(name, side, plane, _NAN, 0.0, Source.IMAGE,
                            Unmeasurable.NOT_VISIBLE)
    factor = plane_factor(name, side, frame)
    if factor < MIN_IMAGE_PLANE_FACTOR:
        return AngleReading(name, side, plane, _NAN, 0.0, Source.IMAGE, Unmeasurable.WRONG_VIEW)
    value = image_angle_deg(name, side, frame.image_px, upper_body=True)
    if not value == value:
        return AngleReading(name, side, plane, _NAN, 0.0, Source.IMAGE, Unmeasurable.DEGENERATE)
    return AngleReading(name, side, plane, value, vis * factor * UPPER_BODY_TRUST, Source.IMAGE)


def measure_all(
    frame: FramePoints, source: Source | None = None
) -> tuple[AngleReading, ...]:
    """Every angle on both sides (trunk flexion is reported on both sides alike)."""
    return tuple(
        measure_angle(frame, name, side, source) for name in AngleName for side in Side
    )


def measure_result(result: PoseResult, name: AngleName, side: Side,
                   source: Source | None = None) -> AngleReading:
    """Convenience: :func:`measure_angle` on a :class:`PoseResult` (no pose: NO_POSE)."""
    if not result.detected:
        return AngleReading(name, side, name.plane, _NAN, 0.0, source or Source.IMAGE,
                            Unmeasurable.NO_POSE)
    return measure_angle(FramePoints.from_result(result), name, side, source)
