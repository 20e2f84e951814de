"""Checkerboard images rendered through a :class:`~hepvision.synthetic.camera.PinholeCamera`
(its focal length, principal point and radial distortion), for testing camera calibration
against known intrinsics.

Each output pixel is traced back: its distorted position is undistorted (fixed-point inversion
of the radial model), the ray is intersected with the board plane, and the square's colour is
read; ``supersample`` x ``supersample`` rays per pixel anti-alias the edges, so corners land
with sub-pixel accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hepvision.synthetic.camera import PinholeCamera

#: Grey level around the printed board.
BACKGROUND = 110


@dataclass(frozen=True, slots=True)
class BoardPose:
    """Where the board is: rotated by ``tilt_x_deg`` / ``tilt_y_deg`` / ``spin_deg`` about
    its own centre, which sits at ``centre_m`` (x right, y down, z ahead) in the camera's
    frame."""

    centre_m: tuple[float, float, float]
    tilt_x_deg: float = 0.0
    tilt_y_deg: float = 0.0
    spin_deg: float = 0.0

    def rotation(self) -> np.ndarray:
        a, b, c = np.radians([self.tilt_x_deg, self.tilt_y_deg, self.spin_deg])
        rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
        ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
        rz = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
        return rx @ ry @ rz


def render_board(camera: PinholeCamera, pose: BoardPose, cols: int = 9, rows: int = 6,
                 square_m: float = 0.03, supersample: int = 3) -> np.ndarray:
    """(H, W) uint8 grey image of a board with ``cols`` x ``rows`` inner corners (squares
    ``square_m`` wide, a white margin of one square) seen by ``camera``."""
    w, h, s = camera.width_px, camera.height_px, supersample
    offs = (np.arange(s) + 0.5) / s - 0.5
    u = (np.arange(w)[None, :, None, None] + offs[None, None, None, :])
    v = (np.arange(h)[:, None, None, None] + offs[None, None, :, None])
    u, v = np.broadcast_arrays(u, v)
    cx, cy = camera.principal_point
    xd, yd = (u - cx) / camera.focal_px, (v - cy) / camera.focal_px
    xu, yu = _undistort(xd, yd, camera.k1, camera.k2)
    r = pose.rotation()
    centre = np.array([(cols - 1) * square_m / 2, (rows - 1) * square_m / 2, 0.0])
    t = np.asarray(pose.centre_m) - r @ centre
    homography = np.column_stack([r[:, 0], r[:, 1], t])
    inv = np.linalg.inv(homography)
    rays = np.stack([xu, yu, np.ones_like(xu)], axis=-1)
    plane = rays @ inv.T
    scale = plane[..., 2]
    bx, by = plane[..., 0] / scale, plane[..., 1] / scale
    ix, iy = np.floor(bx / square_m), np.floor(by / square_m)
    squares = (ix >= -1) & (ix <= cols - 1) & (iy >= -1) & (iy <= rows - 1)
    margin = (ix >= -2) & (ix <= cols) & (iy >= -2) & (iy <= rows)
    dark = squares & ((ix + iy) % 2 == 0)
    value = np.where(margin, 255.0, float(BACKGROUND))
    value = np.where(dark, 20.0, value)
    value = np.where(scale > 0, value, float(BACKGROUND))
    out: np.ndarray = np.clip(value.mean(axis=(2, 3)), 0, 255).round().astype(np.uint8)
    return out


def board_corners_px(camera: PinholeCamera, pose: BoardPose, cols: int = 9, rows: int = 6,
                     square_m: float = 0.03) -> np.ndarray:
    """(cols * rows, 2) true pixel positions of the inner corners (row by row)."""
    grid = np.mgrid[0:cols, 0:rows].T.reshape(-1, 2) * square_m
    r = pose.rotation()
    centre = np.array([(cols - 1) * square_m / 2, (rows - 1) * square_m / 2, 0.0])
    pts = np.column_stack([grid, np.zeros(len(grid))])
    cam = (pts - centre) @ r.T + np.asarray(pose.centre_m)
    px: np.ndarray = camera.pixels(cam)
    return px


def _undistort(xd: np.ndarray, yd: np.ndarray, k1: float,
               k2: float) -> tuple[np.ndarray, np.ndarray]:
    if k1 == 0.0 and k2 == 0.0:
        return xd, yd
    xu, yu = xd.copy(), yd.copy()
    for _ in range(12):
        r2 = xu * xu + yu * yu
        radial = 1.0 + k1 * r2 + k2 * r2 * r2
        xu, yu = xd / radial, yd / radial
    return xu, yu
