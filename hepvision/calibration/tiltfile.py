"""The camera tilt measured at setup, saved per camera and resolution beside its calibration
(``<data dir>/cameras/<camera>_<W>x<H>.tilt.json``)."""

from __future__ import annotations

import json
from pathlib import Path

from hepvision.calibration.intrinsics import CalibrationError, calibration_path
from hepvision.kinematics.camera_tilt import CameraTilt


def tilt_path(camera: str, width_px: int, height_px: int, home: str | Path | None = None) -> Path:
    return calibration_path(camera, width_px, height_px, home).with_suffix(".tilt.json")


def save_tilt(tilt: CameraTilt, camera: str, width_px: int, height_px: int,
              home: str | Path | None = None) -> Path:
    path = tilt_path(camera, width_px, height_px, home)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"pitch_deg": tilt.pitch_deg, "roll_deg": tilt.roll_deg, "frames": tilt.frames}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def load_tilt(camera: str, width_px: int, height_px: int,
              home: str | Path | None = None) -> CameraTilt | None:
    """The tilt saved by the last setup of ``camera`` at this resolution, or None."""
    path = tilt_path(camera, width_px, height_px, home)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return CameraTilt(float(data["pitch_deg"]), float(data["roll_deg"]),
                          int(data["frames"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CalibrationError(f"{path}: not a camera setup ({exc})") from None
