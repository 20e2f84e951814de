"""Camera view relative to the body: front, side (which side is toward the camera) or oblique.

The body's yaw is the angle between the shoulder/hip lines and the image plane: 0 deg when
the patient faces (or turns their back to) the camera, 90 deg when they stand side-on. It is read
from world landmarks when present (their depth axis), else from the 2D ratio of shoulder width
to trunk length (``FRONT_WIDTH_RATIO`` at 0 deg). The 2D estimate cannot tell left from right
by geometry, so it uses the landmarks' relative depth ``z``.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
import numpy as np

from hepvision.pose.types import PoseResult
from hepvision.vocabulary import PoseLandmark as L
from hepvision.vocabulary import View

#: Shoulder width / trunk length of an adult seen from the front (biacromial 0.38 m over
#: 0.50 m shoulder-to-hip), the 2D estimate's reference for yaw 0.
FRONT_WIDTH_RATIO = 0.76
FRONT_MAX_YAW_DEG = 30.0
SIDE_MIN_YAW_DEG = 60.0
_MIN_VISIBILITY = 0.5
_IDS = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP)


@dataclass(frozen=True, slots=True)
class ViewEstimate:
    """The view of one frame.

    Attributes:
        view: the class (UNKNOWN when shoulders and hips are not visible).
        yaw_deg: body yaw against the image plane, 0..90 deg (NaN when unknown).
        near_side_left: True when the patient's left side is nearer the camera.
    """

    view: View
    yaw_deg: float
    near_side_left: bool

    def plane_factor_sagittal(self) -> float:
        """How squarely the sagittal plane faces the camera, 0..1 (sin of yaw)."""
        return math.sin(math.radians(self.yaw_deg)) if self.yaw_deg == self.yaw_deg else 0.0

    def plane_factor_frontal(self) -> float:
        """How squarely the frontal plane faces the camera, 0..1 (cos of yaw)."""
        return math.cos(math.radians(self.yaw_deg)) if self.yaw_deg == self.yaw_deg else 0.0


UNKNOWN_VIEW = ViewEstimate(View.UNKNOWN, float("nan"), False)


def classify_yaw(yaw_deg: float, near_side_left: bool) -> View:
    if not yaw_deg == yaw_deg:
        return View.UNKNOWN
    if yaw_deg <= FRONT_MAX_YAW_DEG:
        return View.FRONT
    if yaw_deg >= SIDE_MIN_YAW_DEG:
        return View.SIDE_LEFT if near_side_left else View.SIDE_RIGHT
    return View.OBLIQUE


def yaw_from_world(world: np.ndarray) -> tuple[float, bool]:
    """Yaw (deg) and near side from (33, 3) world landmarks (metres, z away from camera)."""
    sh = world[L.LEFT_SHOULDER] - world[L.RIGHT_SHOULDER]
    hp = world[L.LEFT_HIP] - world[L.RIGHT_HIP]
    dx = abs(sh[0]) + abs(hp[0])
    dz = sh[2] + hp[2]
    yaw = math.degrees(math.atan2(abs(dz), dx))
    return yaw, bool(dz < 0.0)


def yaw_from_image(points_px: np.ndarray, z: np.ndarray) -> tuple[float, bool]:
    """Yaw (deg) and near side from (33, 2) pixel positions and (33,) relative depth."""
    ls, rs, lh, rh = (points_px[i] for i in _IDS)
    width = float(np.hypot(*(ls - rs)))
    trunk = float(np.hypot(*((ls + rs) * 0.5 - (lh + rh) * 0.5)))
    if trunk <= 0.0:
        return float("nan"), False
    ratio = min(1.0, width / (trunk * FRONT_WIDTH_RATIO))
    dz = (z[L.LEFT_SHOULDER] - z[L.RIGHT_SHOULDER]) + (z[L.LEFT_HIP] - z[L.RIGHT_HIP])
    return math.degrees(math.acos(ratio)), bool(dz < 0.0)


def estimate_view(result: PoseResult) -> ViewEstimate:
    """The view of one frame, from world landmarks when finite, else from image landmarks."""
    lm = result.landmarks
    vis = lm[_IDS, 3]
    if not result.detected or not np.all(vis >= _MIN_VISIBILITY):
        return UNKNOWN_VIEW
    world = result.world_landmarks
    if np.isfinite(world[_IDS, :]).all():
        yaw, near_left = yaw_from_world(world)
    else:
        pts = lm[:, :2] * np.array([result.image_width_px, result.image_height_px], np.float32)
        if not np.isfinite(pts[_IDS, :]).all():
            return UNKNOWN_VIEW
        yaw, near_left = yaw_from_image(pts, lm[:, 2])
    return ViewEstimate(classify_yaw(yaw, near_left), yaw, near_left)


class SessionView:
    """Accumulates per-frame views into the session's view (the most frequent known one)."""

    __slots__ = ("_counts", "_yaws")

    def __init__(self) -> None:
        self._counts: Counter[View] = Counter()
        self._yaws: list[float] = []

    def add(self, estimate: ViewEstimate) -> None:
        if estimate.view is not View.UNKNOWN:
            self._counts[estimate.view] += 1
            self._yaws.append(estimate.yaw_deg)

    @property
    def view(self) -> View:
        return self._counts.most_common(1)[0][0] if self._counts else View.UNKNOWN

    @property
    def median_yaw_deg(self) -> float:
        return float(np.median(self._yaws)) if self._yaws else float("nan")
