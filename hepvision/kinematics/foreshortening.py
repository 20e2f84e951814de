"""Foreshortening: is a limb segment seen square on, or does it point toward the camera?

A 2D angle is only as good as the segments it is drawn between. A forearm pointing at the
camera is a few pixels long in the image and any "angle" read from it is noise (an elbow at 77
deg reads 177 deg). So every segment a reading uses is compared with its length when it was
seen square on: the longest it has been, in pixels, over the last :data:`WINDOW_MS` (a running
maximum, so a patient who walks slowly toward or away from the camera re-calibrates it).

``ratio = length now / running maximum``: 1.0 seen square on, cos(a) for a segment turned
``a`` degrees out of the image plane. A change of the whole body's scale (the patient stepping
back, a camera zoom) shrinks every segment alike, so each frame's ratios are divided by their
median when enough segments are in view: only a segment shrinking against the rest of the
body counts as foreshortened. A reading needs every segment at or above
:data:`MIN_SQUARE_RATIO` (cos 45 deg) to be read in the image. Below it, world landmarks (which
estimate depth) may read the angle when their own segment agrees that it points out of the
image plane (their in-image share within :data:`WORLD_AGREEMENT` of the image ratio): the two
estimates then tell the same story about depth. Otherwise the angle is not measurable.

Limits: the reference is the longest length seen, so before a segment has once been seen
square on (the first :data:`MIN_HISTORY_MS` of a session, or a limb that never turns square)
the ratio reads 1.0 (no evidence of foreshortening), and a patient walking toward the camera
faster than the window adapts makes every segment look foreshortened for a while.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from enum import Enum

from hepvision.vocabulary import AngleName, Side

#: Below this share of its square-on length a segment is too foreshortened to read in 2D.
MIN_SQUARE_RATIO = math.cos(math.radians(45.0))
#: World landmarks may stand in when their segment's in-image share is within this of the
#: image ratio (both see the segment turned out of the image plane by a similar amount).
WORLD_AGREEMENT = 0.25
#: The square-on reference is the longest length seen over this window.
WINDOW_MS = 10_000
#: Before a segment has this much history its ratio is 1.0 (not enough evidence).
MIN_HISTORY_MS = 1000
#: With at least this many segments in view, ratios are divided by their median (the whole
#: body's change of scale: the patient or the camera's zoom moving, not a limb turning).
MIN_SEGMENTS_FOR_SCALE = 4


class Segment(str, Enum):
    """A limb segment, by its (proximal, distal) landmark parts."""

    UPPER_ARM = "upper_arm"
    FOREARM = "forearm"
    THIGH = "thigh"
    SHANK = "shank"


#: (proximal, distal) index into :func:`~hepvision.kinematics.definitions.side_ids`.
SEGMENT_PARTS: dict[Segment, tuple[int, int]] = {
    Segment.UPPER_ARM: (0, 1), Segment.FOREARM: (1, 2),
    Segment.THIGH: (3, 4), Segment.SHANK: (4, 5),
}

#: The moving segments each angle is drawn between (trunk and pelvis lines excepted: they are
#: read from both sides' landmarks and foreshorten only when the whole body turns, which the
#: view check covers).
ANGLE_SEGMENTS: dict[AngleName, tuple[Segment, ...]] = {
    AngleName.ELBOW_FLEXION: (Segment.UPPER_ARM, Segment.FOREARM),
    AngleName.KNEE_FLEXION: (Segment.THIGH, Segment.SHANK),
    AngleName.HIP_FLEXION: (Segment.THIGH,),
    AngleName.HIP_ABDUCTION: (Segment.THIGH,),
    AngleName.SHOULDER_FLEXION: (Segment.UPPER_ARM,),
    AngleName.SHOULDER_ABDUCTION: (Segment.UPPER_ARM,),
    AngleName.ANKLE_DORSIFLEXION: (Segment.SHANK,),
}

SegmentKey = tuple[Side, Segment]


class _RunningMax:
    """Maximum over a sliding time window (monotonic deque: O(1) amortised per sample)."""

    __slots__ = ("_q", "_first_ms")

    def __init__(self) -> None:
        self._q: deque[tuple[int, float]] = deque()
        self._first_ms = -1

    def push(self, t_ms: int, value: float) -> None:
        if self._first_ms < 0:
            self._first_ms = t_ms
        q = self._q
        while q and q[-1][1] <= value:
            q.pop()
        q.append((t_ms, value))
        while q[0][0] < t_ms - WINDOW_MS:
            q.popleft()

    def ratio(self, t_ms: int, value: float) -> float:
        if self._first_ms < 0 or t_ms - self._first_ms < MIN_HISTORY_MS or not self._q:
            return 1.0
        top = self._q[0][1]
        return min(1.0, value / top) if top > 0.0 else 1.0


class SegmentTracker:
    """Per-session square-on reference of every limb segment; one per analysed stream of
    frames (fed in time order)."""

    def __init__(self) -> None:
        self._max: dict[SegmentKey, _RunningMax] = {
            (side, seg): _RunningMax() for side in Side for seg in Segment}

    def update(self, t_ms: int, points_px: list[list[float]], visibility: list[float],
               side_landmarks: dict[Side, tuple[int, ...]],
               min_visibility: float) -> dict[SegmentKey, float]:
        """This frame's ratio per visible segment (segments not visible are left out)."""
        out: dict[SegmentKey, float] = {}
        for side, ids in side_landmarks.items():
            for seg, (a, b) in SEGMENT_PARTS.items():
                ia, ib = ids[a], ids[b]
                if not (visibility[ia] >= min_visibility and visibility[ib] >= min_visibility):
                    continue
                pa, pb = points_px[ia], points_px[ib]
                length = math.hypot(pb[0] - pa[0], pb[1] - pa[1])
                if not length == length:
                    continue
                track = self._max[(side, seg)]
                track.push(t_ms, length)
                out[(side, seg)] = track.ratio(t_ms, length)
        if len(out) >= MIN_SEGMENTS_FOR_SCALE:  # the whole body nearer or farther: not a limb
            scale = sorted(out.values())[len(out) // 2]
            if scale > 0.0:
                out = {k: min(1.0, v / scale) for k, v in out.items()}
        return out


def square_ratio(ratios: dict[SegmentKey, float] | None, name: AngleName, side: Side) -> float:
    """The smallest square-on ratio of the segments ``name`` is drawn between on ``side``
    (1.0 without evidence)."""
    if not ratios:
        return 1.0
    return min((ratios.get((side, seg), 1.0) for seg in ANGLE_SEGMENTS.get(name, ())),
               default=1.0)


def foreshortened(ratios: dict[SegmentKey, float] | None, name: AngleName,
                  side: Side) -> tuple[tuple[Segment, float], ...]:
    """The segments of ``name`` on ``side`` too foreshortened to read in 2D, with ratios."""
    if not ratios:
        return ()
    out = []
    for seg in ANGLE_SEGMENTS.get(name, ()):
        r = ratios.get((side, seg), 1.0)
        if r < MIN_SQUARE_RATIO:
            out.append((seg, r))
    return tuple(out)


def world_agreement(world_m: Sequence[Sequence[float]] | None,
                    short: tuple[tuple[Segment, float], ...], ids: Sequence[int]) -> float:
    """How well world depth agrees with the image about the foreshortened segments ``short``
    (``ids``: the side's landmark ids): 1.0 with none foreshortened, ``1 - worst disagreement /
    WORLD_AGREEMENT`` when they agree, negative when they do not (or no world landmarks)."""
    if not short:
        return 1.0
    if world_m is None:
        return -1.0
    worst = 0.0
    for seg, ratio in short:
        a, b = SEGMENT_PARTS[seg]
        pa, pb = world_m[ids[a]], world_m[ids[b]]
        dx, dy, dz = pb[0] - pa[0], pb[1] - pa[1], pb[2] - pa[2]
        length = math.sqrt(dx * dx + dy * dy + dz * dz)
        if not length > 0.0:
            return -1.0
        worst = max(worst, abs(math.hypot(dx, dy) / length - ratio))
    return 1.0 - worst / WORLD_AGREEMENT if worst <= WORLD_AGREEMENT else -1.0


#: Hinge angles and the (proximal, joint, distal) parts of their side's landmark ids.
HINGES: dict[AngleName, tuple[int, int, int]] = {
    AngleName.ELBOW_FLEXION: (0, 1, 2), AngleName.KNEE_FLEXION: (3, 4, 5)}
#: A running maximum of a jittering length over-reads its square-on length by about the
#: jitter (BlazePose limb lengths jitter 3-5 % frame to frame): a segment reading this share of
#: its maximum is taken as square on when its depth is rebuilt.
MAX_BIAS = 0.95
#: World landmarks tell which way a foreshortened segment points only when they too see it
#: turned out of the image plane by at least this share of its length.
MIN_WORLD_DEPTH_SHARE = 0.3


def hinge_in_depth_deg(points_px: Sequence[Sequence[float]],
                       world_m: Sequence[Sequence[float]] | None,
                       ratios: dict[SegmentKey, float], name: AngleName, side: Side,
                       ids: Sequence[int]) -> float:
    """A hinge angle (elbow, knee flexion) rebuilt in 3D from the image and the segments'
    foreshortening, with world landmarks used only for which way each segment points (toward or
    away from the camera): each segment is (ratio x its image direction, +-sqrt(1 - ratio^2)),
    and flexion is the angle between the two. The image fixes the directions and how far each
    segment turns out of the image plane; monocular depth only has to get a sign right. NaN
    when world landmarks are missing or do not see the foreshortened segment out of the plane
    (they would be guessing the sign)."""
    parts = HINGES[name]
    if world_m is None:
        return math.nan
    vectors = []
    for seg, (a, b) in zip(ANGLE_SEGMENTS[name], ((parts[0], parts[1]), (parts[1], parts[2])),
                           strict=True):
        pa, pb = points_px[ids[a]], points_px[ids[b]]
        dx, dy = pb[0] - pa[0], pb[1] - pa[1]
        n = math.hypot(dx, dy)
        c = min(1.0, ratios.get((side, seg), 1.0))
        wa, wb = world_m[ids[a]], world_m[ids[b]]
        w = (wb[0] - wa[0], wb[1] - wa[1], wb[2] - wa[2])
        wl = math.sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2])
        if not (n > 0.0 and wl > 0.0):
            return math.nan
        c = min(1.0, c / MAX_BIAS)
        depth = math.sqrt(max(0.0, 1.0 - c * c))
        if abs(w[2]) / wl < MIN_WORLD_DEPTH_SHARE:
            if c < MIN_SQUARE_RATIO:  # the image sees depth that world does not: no sign
                return math.nan
            depth = 0.0  # both see it nearly in the image plane: its jitter is not depth
        sign = 1.0 if w[2] >= 0.0 else -1.0
        vectors.append((c * dx / n, c * dy / n, sign * depth))
    u, f = vectors
    dot = max(-1.0, min(1.0, u[0] * f[0] + u[1] * f[1] + u[2] * f[2]))
    return math.degrees(math.acos(dot))
