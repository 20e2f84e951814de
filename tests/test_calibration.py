"""Camera calibration (issue 13): intrinsics and distortion recovered from checkerboards
rendered through the project's pinhole camera with known intrinsics and barrel distortion;
landmarks undistorted before any angle; the printable board; clear errors for bad input."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from hepvision.calibration.board import board_svg, page_for
from hepvision.calibration.intrinsics import (
    Board,
    CalibrationError,
    CameraIntrinsics,
    calibrate_images,
    default_intrinsics,
    find_board,
    load_intrinsics,
    save_intrinsics,
)
from hepvision.calibration.undistort import CameraCorrection, Undistorter
from hepvision.cli.main import main
from hepvision.kinematics import FramePoints, Source, measure_angle
from hepvision.synthetic import synthesize
from hepvision.synthetic.board import BoardPose, board_corners_px, render_board
from hepvision.synthetic.camera import PinholeCamera
from hepvision.vocabulary import AngleName, Side

#: The lens: barrel distortion k1 = -0.3 (k2 = 0.1 keeps the model monotonic over the frame),
#: principal point off the centre.
CAM = PinholeCamera(width_px=480, height_px=360, focal_px=450.0, cx_px=248.0, cy_px=177.0,
                    k1=-0.3, k2=0.1)
#: Stated tolerances of the distortion coefficients (absolute).
K1_TOL, K2_TOL = 0.02, 0.05


def _poses(n: int, seed: int = 0) -> list[BoardPose]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        z = rng.uniform(0.45, 0.75)
        out.append(BoardPose((rng.uniform(-0.35, 0.35) * z, rng.uniform(-0.25, 0.25) * z, z),
                             rng.uniform(-35, 35), rng.uniform(-35, 35), rng.uniform(-15, 15)))
    return out


@pytest.fixture(scope="module")
def board_images() -> list[np.ndarray]:
    return [render_board(CAM, p, supersample=2) for p in _poses(12)]


@pytest.fixture(scope="module")
def solved(board_images):
    return calibrate_images(board_images, Board(9, 6, 30.0))


def test_intrinsics_recovered_within_one_percent(solved):
    intr = solved.intrinsics
    assert intr.fx_px == pytest.approx(CAM.focal_px, rel=0.01)
    assert intr.fy_px == pytest.approx(CAM.focal_px, rel=0.01)
    assert intr.cx_px == pytest.approx(248.0, rel=0.01)
    assert intr.cy_px == pytest.approx(177.0, rel=0.01)
    assert intr.dist[0] == pytest.approx(-0.3, abs=K1_TOL)
    assert intr.dist[1] == pytest.approx(0.1, abs=K2_TOL)
    assert abs(intr.dist[2]) < 0.005 and abs(intr.dist[3]) < 0.005
    assert 0.0 < intr.rms_px < 0.5
    assert solved.views_found >= 10 and solved.coverage >= 0.75


def test_corners_found_where_the_camera_put_them():
    pose = BoardPose((0.02, -0.01, 0.6), 20.0, -15.0, 5.0)
    found = find_board(render_board(CAM, pose, supersample=2), Board(9, 6, 30.0))
    assert found is not None
    truth = board_corners_px(CAM, pose)
    # The detector may start from either end of the board: compare as sets.
    d = np.linalg.norm(found[:, None, :] - truth[None, :, :], axis=2).min(axis=1)
    assert d.max() < 0.5


def test_undistorted_corners_match_the_ideal_pinhole(solved):
    ideal = PinholeCamera(width_px=480, height_px=360, focal_px=450.0, cx_px=248.0,
                          cy_px=177.0)
    pose = BoardPose((0.1, 0.06, 0.5), 25.0, 30.0, 0.0)
    seen = board_corners_px(CAM, pose)
    fixed = Undistorter(solved.intrinsics).points_px(seen)
    before = np.linalg.norm(seen - board_corners_px(ideal, pose), axis=1).max()
    after = np.linalg.norm(fixed - board_corners_px(ideal, pose), axis=1).max()
    assert before > 10.0 and after < 1.5


def test_angles_with_and_without_undistortion():
    """A squat seen from the side through a wide barrel lens: knee flexion read from the raw
    landmarks is off by up to ~1-2 deg; after undistortion with the lens's model, < 0.05."""
    cam = PinholeCamera(width_px=1280, height_px=720, focal_px=640.0, distance_m=2.0,
                        k1=-0.3, k2=0.1)
    rec = synthesize("squat", reps=1, yaw_deg=90.0, camera=cam, seed=1)
    und = Undistorter(CameraIntrinsics(1280, 720, 640.0, 640.0, 640.0, 360.0,
                                       (-0.3, 0.1, 0.0, 0.0, 0.0)))
    truth = rec.truth_deg[(AngleName.KNEE_FLEXION, Side.LEFT)]
    before, after = [], []
    for i, r in enumerate(rec.results):
        a = measure_angle(FramePoints.from_result(r), AngleName.KNEE_FLEXION, Side.LEFT)
        b = measure_angle(FramePoints.from_result(und(r)), AngleName.KNEE_FLEXION, Side.LEFT)
        assert a.source is Source.IMAGE and b.source is Source.IMAGE
        before.append(abs(a.value_deg - truth[i]))
        after.append(abs(b.value_deg - truth[i]))
    assert 0.8 < max(before) < 3.0
    assert max(after) < 0.05


def test_default_intrinsics_from_frame_size():
    d = default_intrinsics(1280, 720)
    assert d.fx_px == pytest.approx(640 / np.tan(np.radians(35.0)))
    assert (d.cx_px, d.cy_px) == (640.0, 360.0) and not d.distorted and d.source == "default"
    portrait = default_intrinsics(720, 1280)
    assert portrait.fx_px == pytest.approx(d.fx_px)  # the field of view spans the long side


def test_saved_per_camera_and_resolution_and_used_by_the_correction(tmp_path, solved):
    path = save_intrinsics(solved.intrinsics, "camera3", tmp_path)
    assert path.name == "camera3_480x360.json"
    assert load_intrinsics("camera3", 480, 360, tmp_path) == solved.intrinsics
    assert load_intrinsics("camera3", 640, 480, tmp_path) is None
    rec = synthesize("squat", reps=1, yaw_deg=90.0, camera=CAM, seed=2)
    r = next(x for x in rec.results if x.detected)
    fixed = CameraCorrection("camera3", tmp_path)(r)
    assert not np.allclose(fixed.landmarks[:, :2], r.landmarks[:, :2])
    assert np.array_equal(fixed.landmarks[:, 2:], r.landmarks[:, 2:])
    # No calibration for this camera: the landmarks pass unchanged.
    assert CameraCorrection("camera9", tmp_path)(r) is r


def test_too_few_views_is_a_clear_error(board_images):
    blank = [np.full((360, 480), 128, np.uint8)] * 5
    with pytest.raises(CalibrationError, match="found in 2 of 7 frames .need 6."):
        calibrate_images(board_images[:2] + blank, Board(9, 6, 30.0))
    with pytest.raises(CalibrationError, match="expected COLSxROWS"):
        Board.parse("nine by six")


def _write_video(path: Path, frames: list[np.ndarray]) -> Path:
    h, w = frames[0].shape[:2]
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (w, h))
    for f in frames:
        out.write(cv2.cvtColor(f, cv2.COLOR_GRAY2BGR) if f.ndim == 2 else f)
    out.release()
    return path


def test_cli_calibrates_from_a_board_video(tmp_path, monkeypatch, capsys, board_images):
    monkeypatch.setenv("HEPVISION_HOME", str(tmp_path / "home"))
    video = _write_video(tmp_path / "board.avi", board_images)
    assert main(["calibrate", "camera", "--video", str(video), "--board", "9x6@30",
                 "--name", "desk"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"RMS reprojection error 0\.\d+ px over \d+ views", out)
    intr = load_intrinsics("desk", 480, 360, tmp_path / "home")
    assert intr is not None and intr.fx_px == pytest.approx(450.0, rel=0.02)


def test_cli_boardless_and_corrupt_videos_are_clear_errors(tmp_path, capsys):
    rng = np.random.default_rng(0)
    noise = [rng.integers(0, 255, (360, 480), dtype=np.uint8) for _ in range(8)]
    video = _write_video(tmp_path / "noise.avi", noise)
    assert main(["calibrate", "camera", "--video", str(video), "--no-save"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("hepvision: error: ") and "board was found in 0 of" in err
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(rng.integers(0, 255, 4000, dtype=np.uint8).tobytes())
    assert main(["calibrate", "camera", "--video", str(bad)]) == 1
    assert "hepvision: error: " in capsys.readouterr().err
    assert main(["calibrate", "camera", "--video", str(tmp_path / "none.mp4")]) == 1
    assert "no such file" in capsys.readouterr().err


def test_printable_board_is_true_scale_and_detectable():
    board = Board()
    assert page_for(board)[0] == "A4"
    svg = board_svg(board)
    assert 'width="297mm" height="210mm" viewBox="0 0 297 210"' in svg
    assert '<rect x="' in svg and 'width="100" height="1.5"' in svg  # the 100 mm scale bar
    # Rasterise the squares at 4 px/mm and find the board in it.
    img = np.full((210 * 4, 297 * 4), 255, np.uint8)
    squares = re.findall(r'<rect x="([\d.]+)" y="([\d.]+)" width="25" height="25"', svg)
    assert len(squares) == 35  # (9 + 1) x (6 + 1) squares, half of them black
    for x, y in squares:
        x0, y0 = int(round(float(x) * 4)), int(round(float(y) * 4))
        img[y0:y0 + 100, x0:x0 + 100] = 0
    corners = find_board(img, board)
    assert corners is not None
    spacing = np.linalg.norm(np.diff(corners.reshape(6, 9, 2), axis=1), axis=2)
    assert spacing.mean() == pytest.approx(25 * 4, rel=0.01)
