"""A pinhole camera looking at the body, producing MediaPipe-style landmarks.

World frame (as the pose backends report it): x right, y down, z away from the camera, metres,
origin at the hip midpoint. The body faces the camera at yaw 0; yaw +90 turns the patient's
right side toward the camera (view ``side_right``), -90 the left side.
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
        height_offset_m: hip midpoint below (+) the optical axis, metres.
    """

    width_px: int = 1280
    height_px: int = 720
    focal_px: float = 900.0
    distance_m: float = 3.2
    height_offset_m: float = 0.0

    def to_world(self, body_m: np.ndarray, yaw_deg: float) -> np.ndarray:
        """(T, 33, 3) body-frame points to world points for a body turned by ``yaw_deg``."""
        r = BODY_TO_WORLD @ rot_y(np.radians(np.array([yaw_deg])))[0]
        return body_m @ r.T

    def project(self, world_m: np.ndarray) -> np.ndarray:
        """(T, 33, 3) world points to (T, 33, 3) normalised x, y and relative depth z."""
        zc = world_m[..., 2] + self.distance_m
        xn = (self.focal_px * world_m[..., 0] / zc + self.width_px / 2) / self.width_px
        yn = (self.focal_px * (world_m[..., 1] + self.height_offset_m) / zc
              + self.height_px / 2) / self.height_px
        zn = world_m[..., 2] / self.distance_m * self.focal_px / self.width_px
        return np.stack([xn, yn, zn], axis=-1)
