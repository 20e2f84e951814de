"""The camera's tilt from the standing patient, and angles corrected for it.

A pose model reports world landmarks in axes aligned with the camera (BlazePose: x right, y
down, z away from the camera, origin between the hips). For a patient standing upright the
body's vertical axis (mid-ankle to mid-shoulder) is the direction of gravity, so its direction
in those axes gives the camera's **pitch** (tilted down, +) and **roll** (the scene turned
clockwise, +); in a front view the **line of the feet** (ankle to ankle, level on the floor)
gives the roll too. Both are medians over the frames of a short standing capture.

**Correction** (:func:`level_landmarks`): a camera that only rotates sees the same rays, so the
image a level camera at the same place would have taken is the pitched image warped by the
rotation's homography ``K R^T K^-1``: each image landmark is moved there, and the world
landmarks are rotated back to level axes. A side view's sagittal plane (a front view's frontal
plane) is then parallel to the image again, and 2D angles read in it are as good as from a
level camera. Needs the intrinsics ``K`` (a calibration, or the default model).

**Distance** (:func:`camera_distance_m`): an upright body's eye-to-heel height in the levelled
image against the patient's height (eye height is :data:`EYE_HEIGHT_SHARE` of stature,
adult anthropometry), ``distance = f * eye height / pixels``.

Limits: the patient must stand upright (a lean reads as tilt); the world landmarks' depth is the
model's estimate, so pitch from a real clip is only as good as that estimate; the distance
assumes the heels and eyes at about the same depth.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from hepvision.pose.types import PoseResult
from hepvision.vocabulary import PoseLandmark as L

#: Eye height as a share of stature (adult anthropometry, e.g. NASA-STD-3000 / Pheasant).
EYE_HEIGHT_SHARE = 0.936
#: Height assumed when none is entered (m).
DEFAULT_HEIGHT_M = 1.70
_SHOULDERS = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
_ANKLES = (L.LEFT_ANKLE, L.RIGHT_ANKLE)
_MIN_VISIBILITY = 0.5


@dataclass(frozen=True, slots=True)
class CameraTilt:
    """The camera's tilt, degrees (``frames``: standing frames it was measured on)."""

    pitch_deg: float
    roll_deg: float
    frames: int


def tilt_rotation(pitch_deg: float, roll_deg: float) -> np.ndarray:
    """(3, 3) rotation from level axes to the axes of a camera pitched, then rolled
    (``camera = R @ level``; the synthetic camera's convention)."""
    p, r = math.radians(pitch_deg), math.radians(roll_deg)
    pitch = np.array([[1.0, 0.0, 0.0], [0.0, math.cos(p), -math.sin(p)],
                      [0.0, math.sin(p), math.cos(p)]])
    roll = np.array([[math.cos(r), -math.sin(r), 0.0], [math.sin(r), math.cos(r), 0.0],
                     [0.0, 0.0, 1.0]])
    return roll @ pitch


def frame_tilt(result: PoseResult) -> tuple[float, float] | None:
    """(pitch, roll) in degrees from one frame's world landmarks, None when the shoulders and
    ankles are not all seen."""
    if not result.detected:
        return None
    vis = result.landmarks[:, 3]
    ids = list(_SHOULDERS + _ANKLES)
    w = result.world_landmarks.astype(np.float64)
    if (vis[ids] < _MIN_VISIBILITY).any() or not np.isfinite(w[ids]).all():
        return None
    up = w[list(_SHOULDERS)].mean(axis=0) - w[list(_ANKLES)].mean(axis=0)
    length = float(np.linalg.norm(up))
    if length < 1e-6:
        return None
    up /= length
    # Undo the roll first (it turns the up vector within the image plane), then read the pitch.
    roll = math.degrees(math.atan2(up[0], -up[1]))
    level_y = -math.hypot(up[0], up[1])
    pitch = math.degrees(math.atan2(-up[2], -level_y))
    return pitch, roll


def estimate_tilt(results: Iterable[PoseResult]) -> CameraTilt | None:
    """The camera's tilt from frames of an upright standing patient (medians), or None when no
    frame shows the shoulders and ankles."""
    readings = [t for r in results if (t := frame_tilt(r)) is not None]
    if not readings:
        return None
    a = np.array(readings)
    return CameraTilt(float(np.median(a[:, 0])), float(np.median(a[:, 1])), len(readings))


def level_landmarks(result: PoseResult, k: np.ndarray, pitch_deg: float,
                    roll_deg: float) -> PoseResult:
    """``result`` as a level camera at the same place would have seen it (see the module doc);
    ``k``: (3, 3) camera matrix of undistorted landmarks."""
    if not result.detected or (pitch_deg == 0.0 and roll_deg == 0.0):
        return result
    r = tilt_rotation(pitch_deg, roll_deg)
    size = np.array([result.image_width_px, result.image_height_px], dtype=np.float64)
    lm = result.landmarks.astype(np.float64)
    px = lm[:, :2] * size
    rays = np.column_stack([px, np.ones(len(px))]) @ np.linalg.inv(k).T
    level = rays @ r  # rows: R^T applied to each ray
    proj = level @ k.T
    with np.errstate(invalid="ignore", divide="ignore"):
        new_px = proj[:, :2] / proj[:, 2:3]
    out = result.landmarks.copy()
    out[:, :2] = (new_px / size).astype(out.dtype)
    world = (result.world_landmarks.astype(np.float64) @ r).astype(result.world_landmarks.dtype)
    return dataclasses.replace(result, landmarks=out, world_landmarks=world)


def camera_distance_m(results: Iterable[PoseResult], focal_px: float,
                      height_m: float = DEFAULT_HEIGHT_M) -> float | None:
    """Distance from the camera to the standing patient (metres; median over frames), from
    the eye-to-heel height in pixels of levelled landmarks; None when never seen."""
    eyes, heels = (L.LEFT_EYE, L.RIGHT_EYE), (L.LEFT_HEEL, L.RIGHT_HEEL)
    out = []
    for r in results:
        if not r.detected:
            continue
        ids = list(eyes + heels)
        if (r.landmarks[ids, 3] < _MIN_VISIBILITY).any():
            continue
        y = r.landmarks[:, 1].astype(np.float64) * r.image_height_px
        pixels = float(y[list(heels)].mean() - y[list(eyes)].mean())
        if pixels > 1.0:
            out.append(focal_px * EYE_HEIGHT_SHARE * height_m / pixels)
    return float(np.median(out)) if out else None
