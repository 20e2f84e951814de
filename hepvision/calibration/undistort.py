"""Landmarks undistorted before any angle: the stage between pose and analysis that applies a
camera's calibrated lens model.

A pose model reports landmarks where the lens put them; a wide webcam lens bends straight
limbs near the frame's edges (barrel distortion), which bends angles. :class:`Undistorter`
moves each image landmark to where an ideal pinhole camera with the same focal length would
have seen it (``cv2.undistortPoints`` with a convergence criterion); visibility, depth and
world landmarks are unchanged (world landmarks are the model's metric estimate, not a
projection). :class:`CameraCorrection` looks the camera's calibration up for the frame size
of the first result (calibrations are per camera and resolution, see
:mod:`hepvision.calibration.intrinsics`) and does nothing when there is none (the default model
has no distortion), so a session without a calibration is analysed exactly as before.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import cv2
import numpy as np

from hepvision.calibration.intrinsics import (
    CameraIntrinsics,
    default_intrinsics,
    load_intrinsics,
)
from hepvision.calibration.tiltfile import load_tilt
from hepvision.kinematics.camera_tilt import CameraTilt, level_landmarks
from hepvision.pose.types import PoseResult

log = logging.getLogger(__name__)

_CRITERIA = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 40, 1e-9)


class Undistorter:
    """Undistorts the image landmarks of pose results from one camera at one resolution."""

    def __init__(self, intrinsics: CameraIntrinsics) -> None:
        self.intrinsics = intrinsics
        self._k = intrinsics.matrix()
        self._dist = np.asarray(intrinsics.dist, dtype=np.float64)
        self._size = np.array([intrinsics.width_px, intrinsics.height_px], dtype=np.float64)

    def points_px(self, points_px: np.ndarray) -> np.ndarray:
        """(N, 2) distorted pixel positions to undistorted ones (NaN rows stay NaN)."""
        pts = np.asarray(points_px, dtype=np.float64).reshape(-1, 2)
        out = np.full_like(pts, np.nan)
        ok = np.isfinite(pts).all(axis=1)
        if ok.any():
            und = cv2.undistortPoints(pts[ok].reshape(-1, 1, 2), self._k, self._dist,
                                      R=None, P=self._k, criteria=_CRITERIA)
            out[ok] = und.reshape(-1, 2)
        return out

    def __call__(self, result: PoseResult) -> PoseResult:
        """``result`` with undistorted image landmarks (itself when nobody was detected).

        Raises:
            ValueError: a frame of another size than the calibration's.
        """
        if (result.image_width_px, result.image_height_px) != tuple(self._size.astype(int)):
            raise ValueError(
                f"a {result.image_width_px}x{result.image_height_px} frame cannot use a "
                f"{self.intrinsics.width_px}x{self.intrinsics.height_px} calibration")
        if not result.detected or not self.intrinsics.distorted:
            return result
        lm = result.landmarks.copy()
        px = self.points_px(lm[:, :2].astype(np.float64) * self._size)
        lm[:, :2] = (px / self._size).astype(lm.dtype)
        return dataclasses.replace(result, landmarks=lm)


class CameraCorrection:
    """The landmark correction of one camera: its saved calibration for the frame size seen
    (undistortion), then the tilt saved by its last setup (``hepvision calibrate setup``:
    landmarks levelled, see :func:`~hepvision.kinematics.camera_tilt.level_landmarks`), applied
    to every result; nothing when it has neither (logged once)."""

    def __init__(self, camera: str, home: str | Path | None = None) -> None:
        self.camera = camera
        self._home = home
        self._size: tuple[int, int] | None = None
        self._undistort: Undistorter | None = None
        self._level: tuple[np.ndarray, CameraTilt] | None = None

    @property
    def intrinsics(self) -> CameraIntrinsics | None:
        return self._undistort.intrinsics if self._undistort is not None else None

    def __call__(self, result: PoseResult) -> PoseResult:
        size = (result.image_width_px, result.image_height_px)
        if size != self._size:
            self._load(size)
        out = self._undistort(result) if self._undistort is not None else result
        if self._level is not None:
            k, tilt = self._level
            out = level_landmarks(out, k, tilt.pitch_deg, tilt.roll_deg)
        return out

    def _load(self, size: tuple[int, int]) -> None:
        self._size = size
        intr = load_intrinsics(self.camera, *size, home=self._home)
        self._undistort = Undistorter(intr) if intr is not None else None
        if intr is None:
            log.info("no calibration of %s at %dx%d: landmarks used as seen (hepvision "
                     "calibrate camera)", self.camera, *size)
        else:
            log.info("%s at %dx%d: landmarks undistorted (calibration RMS %.2f px)",
                     self.camera, *size, intr.rms_px)
        tilt = load_tilt(self.camera, *size, home=self._home)
        self._level = None
        if tilt is not None:
            k = (intr or default_intrinsics(*size)).matrix()
            self._level = (k, tilt)
            log.info("%s: landmarks levelled for the tilt measured at setup (pitch %.1f, "
                     "roll %.1f deg)", self.camera, tilt.pitch_deg, tilt.roll_deg)
