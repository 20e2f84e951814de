"""Camera pose from the standing patient (issue 13): pitch and roll from the body's vertical
axis, distance from the patient's height, the setup's warnings, and angles corrected for a
known pitch, on synthetic ground truth with the errors asserted."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hepvision.calibration.intrinsics import CalibrationError, CameraIntrinsics
from hepvision.calibration.setup import assess_setup, tilt_advice
from hepvision.calibration.undistort import CameraCorrection
from hepvision.cli.main import main
from hepvision.filters.offline import smooth_for_summary
from hepvision.kinematics import FramePoints, measure_angle
from hepvision.kinematics.camera_tilt import EYE_HEIGHT_SHARE, estimate_tilt, level_landmarks
from hepvision.pose.recording import save_recording
from hepvision.synthetic import NoiseModel, synthesize
from hepvision.synthetic.camera import PinholeCamera
from hepvision.vocabulary import AngleName, PoseLandmark, Side

D = 3.2


def _camera(pitch: float, roll: float = 0.0) -> PinholeCamera:
    return PinholeCamera(distance_m=D, pitch_deg=pitch, roll_deg=roll,
                         height_offset_m=D * math.tan(math.radians(pitch)))


def _k(cam: PinholeCamera) -> np.ndarray:
    return np.array([[cam.focal_px, 0, cam.width_px / 2], [0, cam.focal_px, cam.height_px / 2],
                     [0, 0, 1.0]])


@pytest.mark.parametrize("pitch", [0.0, 10.0, 20.0, 30.0])
def test_pitch_and_roll_from_the_standing_patient(pitch):
    rec = synthesize("squat", reps=1, yaw_deg=0.0, camera=_camera(pitch, roll=4.0), seed=1)
    tilt = estimate_tilt(r for r in rec.results if r.timestamp_ms < 1000)
    assert tilt is not None
    assert tilt.pitch_deg == pytest.approx(pitch, abs=0.2)
    assert tilt.roll_deg == pytest.approx(4.0, abs=0.2)
    noisy = synthesize("squat", reps=1, yaw_deg=0.0, camera=_camera(pitch), seed=1,
                       noise=NoiseModel())
    tilt = estimate_tilt(r for r in noisy.results if r.timestamp_ms < 1500)
    assert tilt is not None and tilt.pitch_deg == pytest.approx(pitch, abs=1.0)


def _peak_errors(motion, angle, yaw, pitch, noise=None):
    """Mean |peak error| (deg) over the repetitions, before and after levelling with the
    estimated tilt."""
    cam = _camera(pitch)
    rec = synthesize(motion, reps=2, yaw_deg=yaw, camera=cam, seed=11, noise=noise)
    tilt = estimate_tilt(r for r in rec.results if r.timestamp_ms < 1000)
    assert tilt is not None
    raw = np.full((2, len(rec.results)), np.nan)
    for i, r in enumerate(rec.results):
        if r.detected:
            raw[0, i] = measure_angle(FramePoints.from_result(r), angle, Side.LEFT).value_deg
            lv = level_landmarks(r, _k(cam), tilt.pitch_deg, tilt.roll_deg)
            raw[1, i] = measure_angle(FramePoints.from_result(lv), angle, Side.LEFT).value_deg
    truth = rec.truth_deg[(angle, Side.LEFT)]
    out = []
    for series in raw:
        smooth = smooth_for_summary(series, rec.fps)
        errs = []
        for p in rec.rep_peak_ms:
            i = int(round(p / 1000 * rec.fps))
            span = slice(max(0, i - 18), i + 18)
            errs.append(abs(np.nanmax(smooth[span]) - truth[span].max()))
        out.append(float(np.mean(errs)))
    return out


@pytest.mark.parametrize(("motion", "angle", "yaw", "pitch", "before_min", "after_max"), [
    ("squat", AngleName.KNEE_FLEXION, 90.0, 0.0, 0.0, 0.1),
    ("squat", AngleName.KNEE_FLEXION, 90.0, 20.0, 4.0, 0.1),
    ("squat", AngleName.KNEE_FLEXION, 90.0, 30.0, 8.0, 0.1),
    ("shoulder_abduction", AngleName.SHOULDER_ABDUCTION, 0.0, 30.0, 2.0, 0.1),
])
def test_peak_angle_error_vs_pitch_before_and_after_correction(motion, angle, yaw, pitch,
                                                               before_min, after_max):
    before, after = _peak_errors(motion, angle, yaw, pitch)
    assert before >= before_min
    assert after <= after_max


def test_correction_with_pose_noise_halves_the_knee_error_at_20_deg():
    before, after = _peak_errors("squat", AngleName.KNEE_FLEXION, 90.0, 20.0, NoiseModel())
    assert before > 5.0 and after < 0.6 * before


def test_distance_from_height_and_the_setup_advice():
    cam = _camera(25.0)
    rec = synthesize("squat", reps=1, yaw_deg=0.0, camera=cam, seed=1)
    standing = [r for r in rec.results if r.timestamp_ms < 1000]
    w = standing[0].world_landmarks.astype(float) @ cam.rotation()  # back to level axes
    eye_heel = w[PoseLandmark.LEFT_HEEL, 1] - w[PoseLandmark.LEFT_EYE, 1]
    stature = eye_heel / EYE_HEIGHT_SHARE
    intr = CameraIntrinsics(1280, 720, 900.0, 900.0, 640.0, 360.0)
    setup = assess_setup(standing, intr, stature)
    assert setup.pitch_deg == pytest.approx(25.0, abs=0.2)
    # The camera is D from the hips, raised D * tan(25 deg) above them: its distance along
    # the level axis is D.
    assert setup.distance_m == pytest.approx(D, rel=0.05)
    assert any("tilt it up" in a for a in setup.advice)
    assert tilt_advice(5.0, 1.0) == ()
    assert "raise the camera to hip height" in tilt_advice(-20.0, 0.0)[0]
    assert "rolled 8 deg" in tilt_advice(0.0, 8.0)[0]


def test_cli_setup_warns_saves_and_the_camera_correction_levels(tmp_path, monkeypatch,
                                                                capsys):
    monkeypatch.setenv("HEPVISION_HOME", str(tmp_path))
    cam = _camera(25.0)
    rec = synthesize("squat", reps=2, yaw_deg=90.0, camera=cam, seed=3)
    npz = save_recording(tmp_path / "standing.npz", rec.results, fps=30.0)
    assert main(["calibrate", "setup", "--video", str(npz), "--name", "shelf",
                 "--seconds", "1"]) == 0
    captured = capsys.readouterr()
    assert "camera pitch +25.0 deg" in captured.out and "tilt it up" in captured.err
    correction = CameraCorrection("shelf", tmp_path)
    truth = rec.truth_deg[(AngleName.KNEE_FLEXION, Side.LEFT)]
    i = int(np.argmax(truth))
    raw = measure_angle(FramePoints.from_result(rec.results[i]), AngleName.KNEE_FLEXION,
                        Side.LEFT).value_deg
    fixed = measure_angle(FramePoints.from_result(correction(rec.results[i])),
                          AngleName.KNEE_FLEXION, Side.LEFT).value_deg
    assert abs(raw - truth[i]) > 4.0 and abs(fixed - truth[i]) < 0.2


def test_setup_without_a_standing_patient_is_a_clear_error(tmp_path, capsys):
    rec = synthesize("bridge", reps=1, yaw_deg=90.0, seed=1)  # lying down: ankles, no stance
    with pytest.raises(CalibrationError, match="nobody was in view"):
        assess_setup([r for r in rec.results if not r.detected])
    npz = save_recording(tmp_path / "x.npz", rec.results, fps=30.0)
    assert main(["calibrate", "setup", "--video", str(npz), "--height-cm", "20"]) == 1
    assert "hepvision: error: " in capsys.readouterr().err
