"""A pinhole camera looking at the body, producing MediaPipe-style landmarks.

World frame (as the pose backends report it): x right, y down, z away from the camera, metres,
origin at the hip midpoint. The body faces the camera at yaw 0; yaw +90 turns the patient's
right side toward the camera (view ``side_right``), -90 the left side.

A camera may be pitched (tilted down, +) and rolled (clockwise in the image, +) and its lens
may distort (radial k1, k2, OpenCV's model) with the principal point off the centre: the image
then shows the scene through that camera, and the world landmarks are reported in its frame
(as BlazePose reports them: axes aligned with the camera). The defaults are a level, ideal
camera.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hepvision.synthetic.skeleton import rot_y

#: Body frame (x left, y up, z anterior) to the world frame of a patient facing the camera.
BODY_TO_WORLD = np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]])


@dataclass(frozen=True, slots=True)
class PinholeCamera:
    """A level camera ``distance_m`` in front of the hip midpoint.

    Attributes:
        width_px, height_px: image size.
        focal_px: focal length in pixels (square pixels, principal point at the centre).
        distance_m: depth of the hip midpoint.
        height_offset_m: hip midpoint below (+) the camera's centre, metres.
        pitch_deg: the camera tilted down (+) or up (-) about its horizontal axis.
        roll_deg: the camera rolled about its optical axis (+: the scene turns clockwise).
        k1, k2: radial distortion coefficients (OpenCV's model; k1 < 0: barrel).
        cx_px, cy_px: the principal point (None: the image centre).
    """

    width_px: int = 1280
    height_px: int = 720
    focal_px: float = 900.0
    distance_m: float = 3.2
    height_offset_m: float = 0.0
    pitch_deg: float = 0.0
    roll_deg: float = 0.0
    k1: float = 0.0
    k2: float = 0.0
    cx_px: float | None = None
    cy_px: float | None = None

    @property
    def principal_point(self) -> tuple[float, float]:
        return (self.width_px / 2 if self.cx_px is None else self.cx_px,
                self.height_px / 2 if self.cy_px is None else self.cy_px)

    def rotation(self) -> np.ndarray:
        """(3, 3) rotation from level axes to the camera's axes (pitch, then roll)."""
        p, r = np.radians(self.pitch_deg), np.radians(self.roll_deg)
        pitch = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(p), -np.sin(p)],
                          [0.0, np.sin(p), np.cos(p)]])
        roll = np.array([[np.cos(r), -np.sin(r), 0.0], [np.sin(r), np.cos(r), 0.0],
                         [0.0, 0.0, 1.0]])
        return roll @ pitch

    def seen_world(self, world_m: np.ndarray) -> np.ndarray:
        """World points in the camera's axes (what a pose model reports as world landmarks)."""
        if self.pitch_deg == 0.0 and self.roll_deg == 0.0:
            return world_m
        return world_m @ self.rotation().T

    def pixels(self, cam_m: np.ndarray) -> np.ndarray:
        """(..., 3) points in the camera's frame (x right, y down, z ahead) to (..., 2)
        distorted pixel positions."""
        x, y = cam_m[..., 0] / cam_m[..., 2], cam_m[..., 1] / cam_m[..., 2]
        r2 = x * x + y * y
        radial = 1.0 + self.k1 * r2 + self.k2 * r2 * r2
        cx, cy = self.principal_point
        return np.stack([self.focal_px * x * radial + cx, self.focal_px * y * radial + cy],
                        axis=-1)

    def to_world(self, body_m: np.ndarray, yaw_deg: float) -> np.ndarray:
        """(T, 33, 3) body-frame points to world points for a body turned by ``yaw_deg``."""
        r = BODY_TO_WORLD @ rot_y(np.radians(np.array([yaw_deg])))[0]
        return body_m @ r.T

    def project(self, world_m: np.ndarray) -> np.ndarray:
        """(T, 33, 3) world points to (T, 33, 3) normalised x, y and relative depth z."""
        offset = np.array([0.0, self.height_offset_m, self.distance_m])
        px = self.pixels((world_m + offset) @ self.rotation().T)
        xn, yn = px[..., 0] / self.width_px, px[..., 1] / self.height_px
        zn = world_m[..., 2] / self.distance_m * self.focal_px / self.width_px
        return np.stack([xn, yn, zn], axis=-1)
