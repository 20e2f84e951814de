"""Unit tests of the ONNX BlazePose backend and its geometry (anchors, ROI, NMS, heatmap)."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from hepvision.capture.frames import Frame
from hepvision.errors import ModelError
from hepvision.pose.base import PoseEstimator
from hepvision.pose.geometry import (
    Detections,
    RotatedRect,
    crop_matrix,
    decode_detections,
    letterbox_roi,
    project_to_image,
    roi_from_alignment_points,
    ssd_anchors,
    weighted_nms,
)
from hepvision.pose.onnx_backend import (
    DETECTOR_MODEL,
    LANDMARK_MODEL,
    OnnxPoseEstimator,
    OnnxPoseOptions,
    refine_from_heatmap,
)

MODELS = Path(__file__).resolve().parents[1] / "models"
needs_models = pytest.mark.skipif(
    not (MODELS / DETECTOR_MODEL).is_file() or not (MODELS / LANDMARK_MODEL).is_file(),
    reason="models/pose_detection.onnx and models/pose_landmark_full.onnx not built",
)


# -- anchors ----------------------------------------------------------------------------------


def test_anchor_count_is_2254() -> None:
    anchors = ssd_anchors()
    assert anchors.shape == (2254, 2)
    assert anchors.dtype == np.float32


def test_known_anchors() -> None:
    a = ssd_anchors()
    # stride 8: 28x28 cells, 2 anchors per cell, row-major (y outer, x inner)
    np.testing.assert_allclose(a[0], [0.5 / 28, 0.5 / 28], rtol=1e-6)
    np.testing.assert_allclose(a[1], [0.5 / 28, 0.5 / 28], rtol=1e-6)
    np.testing.assert_allclose(a[2], [1.5 / 28, 0.5 / 28], rtol=1e-6)
    np.testing.assert_allclose(a[56], [0.5 / 28, 1.5 / 28], rtol=1e-6)
    # stride 16 starts after 28*28*2 = 1568 anchors
    np.testing.assert_allclose(a[1568], [0.5 / 14, 0.5 / 14], rtol=1e-6)
    # the three stride-32 layers share one 7x7 grid with 6 anchors per cell
    np.testing.assert_allclose(a[1960:1966], [[0.5 / 7, 0.5 / 7]] * 6, rtol=1e-6)
    np.testing.assert_allclose(a[-1], [6.5 / 7, 6.5 / 7], rtol=1e-6)


# -- ROI geometry -----------------------------------------------------------------------------


def test_roi_upright_when_scale_point_is_above() -> None:
    roi = roi_from_alignment_points((100.0, 200.0), (100.0, 120.0))
    assert roi.rotation_rad == pytest.approx(0.0, abs=1e-9)
    assert roi.width_px == pytest.approx(2 * 80 * 1.25)
    assert (roi.center_x_px, roi.center_y_px) == (100.0, 200.0)


def test_roi_rotation_follows_the_body_axis() -> None:
    # scale point to the right of the hip centre: the body lies along +x, so the crop is
    # rotated a quarter turn (clockwise on screen) to stand it up
    roi = roi_from_alignment_points((100.0, 100.0), (150.0, 100.0))
    assert roi.rotation_rad == pytest.approx(math.pi / 2)
    # the scale point lands straight above the centre of the crop
    m = crop_matrix(roi, 256, 256)
    u, v = m @ np.array([150.0, 100.0, 1.0])
    assert u == pytest.approx(128.0, abs=1e-6)
    assert v < 128.0


@pytest.mark.parametrize("rotation", [0.0, 0.4, -1.2, 2.9])
def test_crop_then_project_round_trip(rotation: float) -> None:
    rect = RotatedRect(321.0, 245.0, 180.0, 180.0, rotation)
    m = crop_matrix(rect, 256, 256)
    points = np.array([[300.0, 250.0], [321.0, 245.0], [250.0, 180.0], [390.0, 300.0]])
    crop_px = (m[:, :2] @ points.T).T + m[:, 2]
    back = project_to_image((crop_px / 256.0).astype(np.float32), rect)
    np.testing.assert_allclose(back, points, atol=1e-3)


def test_warped_dot_projects_back_to_its_pixel() -> None:
    image = np.zeros((480, 640, 3), np.uint8)
    cv2.circle(image, (400, 150), 6, (255, 255, 255), -1)
    rect = RotatedRect(360.0, 200.0, 300.0, 300.0, 0.7)
    crop = cv2.warpAffine(image, crop_matrix(rect, 256, 256), (256, 256), flags=cv2.INTER_LINEAR)
    gray = crop[:, :, 0].astype(np.float64)
    ys, xs = np.mgrid[0:256, 0:256]
    centroid = np.array([[(xs * gray).sum() / gray.sum(), (ys * gray).sum() / gray.sum()]])
    back = project_to_image((centroid / 256.0).astype(np.float32), rect)
    np.testing.assert_allclose(back[0], [400.0, 150.0], atol=0.75)


def test_letterbox_pads_the_short_side() -> None:
    wide = letterbox_roi(1280, 720, 224, 224)
    assert (wide.width_px, wide.height_px) == (1280.0, 1280.0)
    tall = letterbox_roi(360, 640, 224, 224)
    assert (tall.width_px, tall.height_px) == (640.0, 640.0)
    assert (tall.center_x_px, tall.center_y_px) == (180.0, 320.0)


# -- detections -------------------------------------------------------------------------------


def test_decode_places_box_and_keypoints_on_the_anchor() -> None:
    anchors = np.array([[0.25, 0.5], [0.75, 0.5]], np.float32)
    reg = np.zeros((2, 12), np.float32)
    reg[1, 2:4] = [44.8, 22.4]  # w, h = 0.2, 0.1 of 224
    reg[1, 4:6] = [22.4, -22.4]  # keypoint 0 at anchor + (0.1, -0.1)
    logits = np.array([[-3.0], [3.0]], np.float32)
    det = decode_detections(reg, logits, anchors)
    assert len(det) == 1
    np.testing.assert_allclose(det.boxes[0], [0.65, 0.45, 0.85, 0.55], atol=1e-6)
    np.testing.assert_allclose(det.keypoints[0, 0], [0.85, 0.4], atol=1e-6)
    assert det.scores[0] == pytest.approx(1 / (1 + math.exp(-3.0)), rel=1e-5)


def test_weighted_nms_blends_overlaps_and_keeps_separate_boxes() -> None:
    boxes = np.array(
        [[0.1, 0.1, 0.3, 0.3], [0.12, 0.1, 0.32, 0.3], [0.6, 0.6, 0.8, 0.8]], np.float32
    )
    kps = np.zeros((3, 4, 2), np.float32)
    kps[:, 0, 0] = [0.2, 0.22, 0.7]
    scores = np.array([0.9, 0.6, 0.8], np.float32)
    out = weighted_nms(Detections(boxes, kps, scores), iou_threshold=0.3)
    assert len(out) == 2
    np.testing.assert_allclose(out.scores, [0.9, 0.8])
    np.testing.assert_allclose(out.boxes[0, 0], (0.1 * 0.9 + 0.12 * 0.6) / 1.5, rtol=1e-6)
    np.testing.assert_allclose(out.keypoints[0, 0, 0], (0.2 * 0.9 + 0.22 * 0.6) / 1.5, rtol=1e-6)
    np.testing.assert_allclose(out.boxes[1], boxes[2])


def test_heatmap_refinement_moves_to_the_confident_peak() -> None:
    heat = np.full((64, 64, 2), -10.0, np.float32)
    heat[20, 30, 0] = 10.0  # a sharp, confident peak for landmark 0
    heat[40, 10, 1] = -1.0  # below the 0.5 minimum: landmark 1 stays put
    xy = np.array([[31.5 / 64, 21.2 / 64], [10.2 / 64, 40.7 / 64]], np.float32)
    out = refine_from_heatmap(xy, heat)
    np.testing.assert_allclose(out[0], [30 / 64, 20 / 64], atol=2e-3)
    np.testing.assert_allclose(out[1], xy[1])


# -- the estimator ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def estimator() -> OnnxPoseEstimator:
    if not (MODELS / DETECTOR_MODEL).is_file():
        pytest.skip("ONNX models not built")
    est = OnnxPoseEstimator()
    yield est
    est.close()


@needs_models
def test_satisfies_protocol_and_reports_model_digests(estimator: OnnxPoseEstimator) -> None:
    assert isinstance(estimator, PoseEstimator)
    info = estimator.info
    assert info.name == "onnx"
    assert set(info.model_sha256) == {DETECTOR_MODEL, LANDMARK_MODEL}
    assert all(len(sha) == 64 for sha in info.model_sha256.values())


@needs_models
def test_black_frame_is_empty_with_nan_landmarks() -> None:
    with OnnxPoseEstimator() as est:
        result = est.estimate(Frame(np.zeros((480, 640, 3), np.uint8), 0, 0))
        assert est.detector_ran
    assert not result.detected
    assert result.presence == 0.0
    assert (result.image_width_px, result.image_height_px) == (640, 480)
    assert np.isnan(result.landmarks[:, :3]).all()
    assert (result.landmarks[:, 3] == 0.0).all()
    assert np.isnan(result.world_landmarks).all()


@needs_models
@pytest.mark.parametrize("second_ms", [100, 99])
def test_timestamps_must_increase(second_ms: int) -> None:
    black = np.zeros((240, 320, 3), np.uint8)
    with OnnxPoseEstimator() as est:
        est.estimate(Frame(black, 100, 0))
        with pytest.raises(ValueError, match="timestamps must increase"):
            est.estimate(Frame(black, second_ms, 1))


@needs_models
def test_rejects_non_bgr_images() -> None:
    with OnnxPoseEstimator() as est, pytest.raises(ValueError, match="uint8"):
        est.estimate(Frame(np.zeros((240, 320), np.uint8), 0, 0))


@needs_models
def test_closed_estimator_refuses_frames() -> None:
    est = OnnxPoseEstimator()
    est.close()
    with pytest.raises(RuntimeError, match="closed"):
        est.estimate(Frame(np.zeros((240, 320, 3), np.uint8), 0, 0))


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="min_detection_confidence"):
        OnnxPoseOptions(min_detection_confidence=1.5)
    with pytest.raises(ValueError, match="roi_scale"):
        OnnxPoseOptions(roi_scale=0.0)


def test_missing_model_is_a_model_error(tmp_path: Path) -> None:
    (tmp_path / "MANIFEST.json").write_text('{"files": {}}', encoding="utf-8")
    with pytest.raises(ModelError, match="not listed"):
        OnnxPoseEstimator(OnnxPoseOptions(model_dir=tmp_path))
