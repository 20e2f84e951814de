"""Camera intrinsics and lens distortion from a printed checkerboard (OpenCV).

Method: the board's inner corners are found (``cv2.findChessboardCornersSB``, sub-pixel) on
frames sampled across the video; among the frames where the whole board was found, up to
``max_views`` are chosen for coverage (farthest-point sampling over the board's position in the
image, its apparent size and its tilt, so the solve sees the corners of the image and oblique
views, not 200 copies of one view); ``cv2.calibrateCamera`` solves the focal lengths, the
principal point and the distortion (k1, k2, p1, p2; k3 is held at 0, which a webcam or phone
lens does not need and which otherwise over-fits a few views). The RMS reprojection error is
reported in pixels; under 1 px is a good calibration.

Without a calibration (:func:`default_intrinsics`): square pixels, the principal point at the
frame's centre, no distortion and a focal length from :data:`DEFAULT_HFOV_DEG`, the horizontal
field of view of a typical webcam (Logitech C920: 70.4 deg horizontal, 78 deg diagonal), across
the frame's long side (:data:`CAMERA_PROFILES` holds other kinds of camera).

Limits: the board must be flat and fully in view; autofocus or zoom changes during the video
change the intrinsics being solved; a result is valid for one camera at one resolution (it is
saved per camera and resolution).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from hepvision.errors import HepvisionError

#: Horizontal field of view assumed without a calibration (degrees).
DEFAULT_HFOV_DEG = 70.0
#: Fewest views of the board a solve accepts.
MIN_VIEWS = 6
#: Most views a solve uses (chosen for coverage).
MAX_VIEWS = 25
#: Frames examined at most per input (evenly spaced).
MAX_FRAMES_EXAMINED = 240


class CalibrationError(HepvisionError):
    """A calibration that cannot be made (no board, too few views, unreadable input)."""


@dataclass(frozen=True, slots=True)
class Board:
    """A checkerboard: ``cols`` x ``rows`` inner corners, squares ``square_mm`` wide."""

    cols: int = 9
    rows: int = 6
    square_mm: float = 25.0

    def __post_init__(self) -> None:
        if self.cols < 3 or self.rows < 3 or self.cols == self.rows:
            raise CalibrationError("a board needs at least 3x3 inner corners, and different "
                                   "counts across and down (so its orientation is known)")
        if not 2.0 <= self.square_mm <= 200.0:
            raise CalibrationError("the square size must be 2-200 mm")

    @classmethod
    def parse(cls, text: str) -> Board:
        """``COLSxROWS[@SQUARE_MM]``, e.g. ``9x6@25`` (inner corners, square in mm)."""
        m = re.fullmatch(r"(\d+)x(\d+)(?:@(\d+(?:\.\d+)?))?", text.strip())
        if m is None:
            raise CalibrationError(f"board {text!r}: expected COLSxROWS[@SQUARE_MM], e.g. 9x6@25")
        return cls(int(m[1]), int(m[2]), float(m[3]) if m[3] else 25.0)

    def object_points(self) -> np.ndarray:
        """(cols * rows, 3) float32 corner positions on the board plane, millimetres."""
        grid = np.mgrid[0:self.cols, 0:self.rows].T.reshape(-1, 2).astype(np.float32)
        return np.hstack([grid * self.square_mm, np.zeros((len(grid), 1), np.float32)])


@dataclass(frozen=True, slots=True)
class CameraIntrinsics:
    """A camera's pinhole model at one resolution.

    Attributes:
        width_px, height_px: the frame size the model is for.
        fx_px, fy_px, cx_px, cy_px: focal lengths and principal point, pixels.
        dist: OpenCV distortion coefficients (k1, k2, p1, p2, k3).
        rms_px: RMS reprojection error of the solve (NaN for a default).
        views: board views the solve used (0 for a default).
        source: ``calibrated`` or ``default``.
    """

    width_px: int
    height_px: int
    fx_px: float
    fy_px: float
    cx_px: float
    cy_px: float
    dist: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0, 0.0)
    rms_px: float = math.nan
    views: int = 0
    source: str = "default"
    board: dict[str, float] = field(default_factory=dict)

    def matrix(self) -> np.ndarray:
        """(3, 3) float64 camera matrix K."""
        return np.array([[self.fx_px, 0.0, self.cx_px], [0.0, self.fy_px, self.cy_px],
                         [0.0, 0.0, 1.0]])

    @property
    def distorted(self) -> bool:
        return any(abs(d) > 0.0 for d in self.dist)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str) -> CameraIntrinsics:
        try:
            data = json.loads(text)
            data["dist"] = tuple(float(d) for d in data["dist"])
            return cls(**data)
        except (ValueError, TypeError, KeyError) as exc:
            raise CalibrationError(f"{where}: not a camera calibration ({exc})") from None


#: Typical fields of view across the frame's long side (degrees), by kind of camera; written
#: to ``calibration/camera_profiles.toml`` by ``calibration/make_board.py``. Sources: the
#: makers' data sheets (Logitech C920: 70.4 deg horizontal) and the usual 35 mm-equivalent
#: focal lengths of phone cameras (main 26 mm, front 24 mm, ultra-wide 13 mm).
CAMERA_PROFILES: dict[str, tuple[float, str]] = {
    "webcam": (DEFAULT_HFOV_DEG, "USB webcam (Logitech C920 class), the default"),
    "laptop": (62.0, "laptop screen-bezel camera"),
    "phone_main": (67.0, "phone main (rear) camera, 26 mm equivalent"),
    "phone_front": (72.0, "phone front (selfie) camera, 24 mm equivalent"),
    "phone_ultrawide": (105.0, "phone ultra-wide camera, 13 mm equivalent: calibrate it, its "
                               "distortion is large"),
}


def default_intrinsics(width_px: int, height_px: int,
                       hfov_deg: float = DEFAULT_HFOV_DEG) -> CameraIntrinsics:
    """The model used without a calibration (see the module doc): ``hfov_deg`` spans the
    frame's long side (a phone held upright films portrait frames)."""
    f = (max(width_px, height_px) / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)
    return CameraIntrinsics(width_px, height_px, f, f, width_px / 2.0, height_px / 2.0)


def find_board(gray: np.ndarray, board: Board) -> np.ndarray | None:
    """(cols * rows, 2) float32 sub-pixel corners of ``board`` in a grey image, or None."""
    found, corners = cv2.findChessboardCornersSB(
        gray, (board.cols, board.rows),
        flags=cv2.CALIB_CB_NORMALIZE_IMAGE | cv2.CALIB_CB_ACCURACY)
    if not found:
        return None
    return np.asarray(corners, dtype=np.float32).reshape(-1, 2)


def view_features(corners: np.ndarray, board: Board, width_px: int,
                  height_px: int) -> np.ndarray:
    """A view's place in coverage space: centre (x, y as shares of the frame), apparent size,
    and tilt (the ratio of opposite edge lengths of the board, across and down)."""
    quad = corners.reshape(board.rows, board.cols, 2)
    tl, tr, bl, br = quad[0, 0], quad[0, -1], quad[-1, 0], quad[-1, -1]
    centre = corners.mean(axis=0) / np.array([width_px, height_px])
    area = cv2.contourArea(np.array([tl, tr, br, bl], np.float32)) / (width_px * height_px)
    across = math.log(_length(tr - tl) / max(_length(br - bl), 1e-6))
    down = math.log(_length(bl - tl) / max(_length(br - tr), 1e-6))
    return np.array([centre[0], centre[1], math.sqrt(area), 2 * across, 2 * down])


def _length(v: np.ndarray) -> float:
    return float(np.linalg.norm(v))


def choose_views(features: list[np.ndarray], max_views: int = MAX_VIEWS) -> list[int]:
    """Indices of up to ``max_views`` views spread over coverage space (farthest-point
    sampling, starting from the view nearest the frame's centre)."""
    if len(features) <= max_views:
        return list(range(len(features)))
    f = np.vstack(features)
    first = int(np.argmin(np.linalg.norm(f[:, :2] - 0.5, axis=1)))
    chosen = [first]
    dist = np.linalg.norm(f - f[first], axis=1)
    while len(chosen) < max_views:
        nxt = int(np.argmax(dist))
        chosen.append(nxt)
        dist = np.minimum(dist, np.linalg.norm(f - f[nxt], axis=1))
    return sorted(chosen)


def coverage(corner_sets: Iterable[np.ndarray], width_px: int, height_px: int,
             cells: int = 4) -> float:
    """Share of a ``cells`` x ``cells`` grid over the frame that some corner falls in."""
    hit = np.zeros((cells, cells), bool)
    for c in corner_sets:
        ix = np.clip((c[:, 0] / width_px * cells).astype(int), 0, cells - 1)
        iy = np.clip((c[:, 1] / height_px * cells).astype(int), 0, cells - 1)
        hit[iy, ix] = True
    return float(hit.mean())


@dataclass(frozen=True, slots=True)
class Calibration:
    """A solved calibration and how it was made (views found, chosen, coverage)."""

    intrinsics: CameraIntrinsics
    frames_examined: int
    views_found: int
    coverage: float


def calibrate_images(images: Iterable[np.ndarray], board: Board,
                     max_views: int = MAX_VIEWS) -> Calibration:
    """Solve intrinsics from grey or BGR images of ``board`` (all of one size).

    Raises:
        CalibrationError: no image, the board in fewer than :data:`MIN_VIEWS` of them, or
            images of different sizes.
    """
    corners: list[np.ndarray] = []
    size: tuple[int, int] | None = None
    examined = 0
    for image in images:
        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        h, w = gray.shape
        if size is None:
            size = (w, h)
        elif size != (w, h):
            raise CalibrationError(f"frames of different sizes ({size[0]}x{size[1]} and "
                                   f"{w}x{h}): calibrate one resolution at a time")
        examined += 1
        found = find_board(gray, board)
        if found is not None:
            corners.append(found)
    if size is None:
        raise CalibrationError("no frame could be read")
    if len(corners) < MIN_VIEWS:
        raise CalibrationError(
            f"the {board.cols}x{board.rows} board was found in {len(corners)} of {examined} "
            f"frames (need {MIN_VIEWS}): show the whole printed board, flat and well lit, at "
            "several places and angles (check --board: inner corners across x down)")
    chosen = choose_views([view_features(c, board, *size) for c in corners], max_views)
    picked = [corners[i] for i in chosen]
    obj = board.object_points()
    rms, k, dist, _, _ = cv2.calibrateCamera(
        [obj] * len(picked), [c.reshape(-1, 1, 2) for c in picked], size, None, None,
        flags=cv2.CALIB_FIX_K3)
    d = tuple(float(x) for x in np.asarray(dist).ravel()[:5])
    intr = CameraIntrinsics(size[0], size[1], float(k[0, 0]), float(k[1, 1]), float(k[0, 2]),
                            float(k[1, 2]), d + (0.0,) * (5 - len(d)), float(rms), len(picked),
                            "calibrated", {"cols": board.cols, "rows": board.rows,
                                           "square_mm": board.square_mm})
    return Calibration(intr, examined, len(corners), coverage(picked, *size))


# ---- where calibrations live -----------------------------------------------------------------

def calibrations_dir(home: str | Path | None = None) -> Path:
    """``<data dir>/cameras``: the data dir is ``home``, else ``$HEPVISION_HOME``, else
    ``~/.local/share/hepvision`` (the device's data dir, see :mod:`hepvision.upload.device`)."""
    if home is None:
        env = os.environ.get("HEPVISION_HOME")
        home = Path(env).expanduser() if env else Path.home() / ".local" / "share" / "hepvision"
    return Path(home) / "cameras"


def calibration_path(camera: str, width_px: int, height_px: int,
                     home: str | Path | None = None) -> Path:
    """The file of ``camera``'s calibration at one resolution."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", camera) or "camera"
    return calibrations_dir(home) / f"{safe}_{width_px}x{height_px}.json"


def save_intrinsics(intr: CameraIntrinsics, camera: str, home: str | Path | None = None) -> Path:
    path = calibration_path(camera, intr.width_px, intr.height_px, home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(intr.to_json(), encoding="utf-8")
    tmp.replace(path)
    return path


def load_intrinsics(camera: str, width_px: int, height_px: int,
                    home: str | Path | None = None) -> CameraIntrinsics | None:
    """``camera``'s saved calibration at this resolution, or None when there is none.

    Raises:
        CalibrationError: a saved file that cannot be read.
    """
    path = calibration_path(camera, width_px, height_px, home)
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CalibrationError(f"{path}: {exc}") from None
    return CameraIntrinsics.from_json(text, str(path))
