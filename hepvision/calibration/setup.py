"""Camera setup from the standing patient: the camera's pitch and roll, its distance, and what
to change when the tilt would distort the template's angles.

Measured by :mod:`hepvision.kinematics.camera_tilt` on a few seconds of the patient standing
upright. Thresholds come from the pitch benchmark (``benchmarks/calibration_pitch.py``,
table in ``benchmarks/README.md``): uncorrected, a side camera pitched 10 deg bends the peak
knee flexion by about 2 deg, 20 deg by about 5 deg (the lower end of the 5-10 deg that two
raters' goniometers differ by), 30 deg by about 9 deg; so the setup warns from
:data:`PITCH_WARN_DEG`. A roll turns the image's vertical, which gravity-referenced angles (trunk
lean, trunk flexion) read directly, so it warns from :data:`ROLL_WARN_DEG`.

The tilt measured at setup is saved per camera and resolution beside the camera's calibration,
and :class:`~hepvision.calibration.undistort.CameraCorrection` levels that camera's landmarks
with it (measure the setup again after moving the camera).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hepvision.calibration.intrinsics import (
    CalibrationError,
    CameraIntrinsics,
    default_intrinsics,
)
from hepvision.calibration.undistort import Undistorter
from hepvision.kinematics.camera_tilt import (
    DEFAULT_HEIGHT_M,
    camera_distance_m,
    estimate_tilt,
    level_landmarks,
)
from hepvision.pose.types import PoseResult

#: Pitch from which the setup warns (degrees; see the module doc).
PITCH_WARN_DEG = 15.0
#: Roll from which the setup warns (degrees).
ROLL_WARN_DEG = 5.0


@dataclass(frozen=True, slots=True)
class CameraSetup:
    """The camera as the standing patient shows it.

    Attributes:
        pitch_deg, roll_deg: tilt (pitch + down, roll + clockwise); NaN when unseen.
        distance_m: camera to patient (NaN when the eyes and heels were not seen).
        height_m: the patient's height used for the distance.
        frames: standing frames measured.
        intrinsics_source: ``calibrated`` or ``default``.
        advice: what to change, one line each (empty: the setup is fine).
    """

    pitch_deg: float
    roll_deg: float
    distance_m: float
    height_m: float
    frames: int
    intrinsics_source: str
    advice: tuple[str, ...]


def tilt_advice(pitch_deg: float, roll_deg: float) -> tuple[str, ...]:
    """What to change about a camera tilted by ``pitch_deg`` / ``roll_deg``."""
    out = []
    if pitch_deg >= PITCH_WARN_DEG:
        out.append(f"the camera looks down {pitch_deg:.0f} deg, which distorts the angles: "
                   "lower it to hip height and tilt it up until it is level")
    elif pitch_deg <= -PITCH_WARN_DEG:
        out.append(f"the camera looks up {-pitch_deg:.0f} deg, which distorts the angles: "
                   "raise the camera to hip height and level it")
    if abs(roll_deg) >= ROLL_WARN_DEG:
        out.append(f"the camera is rolled {abs(roll_deg):.0f} deg: turn it "
                   f"{'anticlockwise' if roll_deg > 0 else 'clockwise'} until the picture "
                   "is level")
    return tuple(out)


def assess_setup(results: list[PoseResult], intrinsics: CameraIntrinsics | None = None,
                 height_m: float = DEFAULT_HEIGHT_M) -> CameraSetup:
    """The setup from frames of the patient standing upright (``intrinsics``: the camera's
    calibration; None: the default model for the frame size).

    Raises:
        CalibrationError: nobody standing in full view (shoulders and ankles) in any frame.
    """
    seen = [r for r in results if r.detected]
    if not seen:
        raise CalibrationError("nobody was in view: the patient should stand upright, whole "
                               "body in view, for a few seconds")
    first = seen[0]
    intr = intrinsics or default_intrinsics(first.image_width_px, first.image_height_px)
    undistort = Undistorter(intr)
    flat = [undistort(r) for r in seen]
    tilt = estimate_tilt(flat)
    if tilt is None:
        raise CalibrationError("the shoulders and ankles were never all in view: the patient "
                               "should stand upright with the whole body in the picture")
    k = intr.matrix()
    level = [level_landmarks(r, k, tilt.pitch_deg, tilt.roll_deg) for r in flat]
    distance = camera_distance_m(level, intr.fy_px, height_m)
    return CameraSetup(tilt.pitch_deg, tilt.roll_deg,
                       math.nan if distance is None else distance, height_m, tilt.frames,
                       intr.source, tilt_advice(tilt.pitch_deg, tilt.roll_deg))
