"""Camera-setup checks before (and while) counting: someone in view, the landmarks the
template needs visible and inside the picture, the distance, and the view.

A check must fail for ``fail_ms`` before it blocks (one bad frame from the pose model does not
stop a set); passing takes effect at once (the counter has its own setup time). While a
blocking check fails the analyzer counts nothing and shows the message. A view check with
``view_check = "advise"`` shows its message but does not block (exercises the counter reads
reliably from several views, e.g. squats from the front through world landmarks).
"""

from __future__ import annotations

from dataclasses import dataclass

from hepvision.kinematics.angles import MIN_VISIBILITY, FramePoints
from hepvision.kinematics.definitions import angle_landmarks, distance_landmarks, side_ids
from hepvision.kinematics.measures import measure_landmarks
from hepvision.templates.schema import (
    AngleCounter,
    DistanceCounter,
    ExerciseTemplate,
    HoldCounter,
    MeasureCounter,
)
from hepvision.vocabulary import AngleName, DistanceName, MeasureName, Side, View

#: A body smaller than this share of the picture (its larger side) is too far away.
MIN_BODY_FRACTION = 0.15
#: How long a failing check must last before it blocks counting.
DEFAULT_FAIL_MS = 400
#: Points may lie this far outside the picture (normalised) and still count as in it.
EDGE_MARGIN = 0.02

MSG_NO_PERSON = "Step into the camera's view."
MSG_TOO_FAR = "Step closer to the camera."
MSG_FEET = "Step back so your feet are visible."
MSG_ARMS = "Step back so your arms and hands are visible."
MSG_LEGS = "Step back so your hips, knees and feet are visible."
MSG_SIDEWAYS = "Turn sideways to the camera."
MSG_FACE = "Face the camera."

_REGIONS = {  # indices into side_ids: shoulder, elbow, wrist, hip, knee, ankle, heel, toe
    "full_body": ((0, 3, 5), MSG_FEET),
    "upper_body": ((0, 1, 2), MSG_ARMS),
    "lower_body": ((3, 4, 5), MSG_LEGS),
}
_PART_NAMES = {0: "shoulder", 1: "elbow", 2: "wrist", 3: "hip", 4: "knee", 5: "ankle",
               6: "heel", 7: "foot"}


@dataclass(frozen=True, slots=True)
class SetupStatus:
    """The setup in one frame: ``ok`` False blocks counting; ``message`` tells the patient
    what to change (also set, with ``ok`` True, for advice that does not block)."""

    ok: bool
    message: str | None


SETUP_OK = SetupStatus(True, None)


def _signal_ids(template: ExerciseTemplate, side: Side) -> tuple[int, ...]:
    c = template.counter
    if isinstance(c, AngleCounter):
        return angle_landmarks(c.angle, side)
    if isinstance(c, DistanceCounter):
        return distance_landmarks(c.distance, side)
    if isinstance(c, MeasureCounter):
        return measure_landmarks(c.measure, side)
    ids: list[int] = []
    for cond in c.conditions:
        sig = cond.signal
        ids.extend(angle_landmarks(sig, side) if isinstance(sig, AngleName)
                   else measure_landmarks(sig, side) if isinstance(sig, MeasureName)
                   else distance_landmarks(DistanceName(sig), side))
    return tuple(dict.fromkeys(ids))


class SetupChecker:
    """Checks one frame against a template's camera requirements (compiled at construction)."""

    def __init__(self, template: ExerciseTemplate, fail_ms: int = DEFAULT_FAIL_MS) -> None:
        self.fail_ms = fail_ms
        sides = {"left": (Side.LEFT,), "right": (Side.RIGHT,)}.get(template.side,
                                                                    (Side.LEFT, Side.RIGHT))
        self._needed = tuple(_signal_ids(template, s) for s in sides)
        parts, self._region_msg = _REGIONS[template.camera.distance]
        self._region = tuple(tuple(side_ids(s)[i] for i in parts) for s in sides)
        self._names = tuple(
            " and ".join(dict.fromkeys(_PART_NAMES[side_ids(s).index(i)] + "s"
                                       for i in ids if i in side_ids(s)))
            for s, ids in zip(sides, self._needed, strict=True))
        self._wants_side = template.view == "side"
        self._wants_front = template.view == "front"
        self._advise_only = template.camera.view_check == "advise"
        self._hold = isinstance(template.counter, HoldCounter)
        self._failing_since = -1

    def _check(self, frame: FramePoints | None,
               size: tuple[int, int]) -> tuple[str | None, bool]:
        """(message, blocking) for one frame, before debouncing."""
        if frame is None:
            return MSG_NO_PERSON, True
        vis, px = frame.visibility, frame.image_px
        if not any(all(vis[i] >= MIN_VISIBILITY for i in ids) for ids in self._needed):
            names = self._names[0] or "body"
            return f"Move so the camera can see your {names}.", True
        seen = [p for p, v in zip(px, vis, strict=True) if v >= MIN_VISIBILITY and p[0] == p[0]]
        if seen:
            xs, ys = [p[0] for p in seen], [p[1] for p in seen]
            if max((max(xs) - min(xs)) / size[0],
                   (max(ys) - min(ys)) / size[1]) < MIN_BODY_FRACTION:
                return MSG_TOO_FAR, True
        lo_x, hi_x = -EDGE_MARGIN * size[0], (1 + EDGE_MARGIN) * size[0]
        lo_y, hi_y = -EDGE_MARGIN * size[1], (1 + EDGE_MARGIN) * size[1]
        if not any(all(vis[i] >= MIN_VISIBILITY and lo_x <= px[i][0] <= hi_x
                       and lo_y <= px[i][1] <= hi_y for i in ids) for ids in self._region):
            return self._region_msg, True
        view = frame.view.view
        if self._wants_side and view is View.FRONT:
            return MSG_SIDEWAYS, not self._advise_only
        if self._wants_front and view.is_side:
            return MSG_FACE, not self._advise_only
        return None, False

    def update(self, frame: FramePoints | None, ts: int,
               size: tuple[int, int]) -> SetupStatus:
        """The setup status of this frame (``frame`` None: nobody detected); ``size`` is the
        image (width, height) in pixels."""
        message, blocking = self._check(frame, size)
        if message is None:
            self._failing_since = -1
            return SETUP_OK
        if not blocking:
            self._failing_since = -1
            return SetupStatus(True, message)
        if self._failing_since < 0:
            self._failing_since = ts
        if ts - self._failing_since < self.fail_ms:
            return SetupStatus(True, None)
        return SetupStatus(False, message)

