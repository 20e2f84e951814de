"""The bundled BlazePose model files in ``models/``: manifest, ONNX contract, real detections.

The ONNX models must match ONNX Runtime vs TFLite to 1e-3 relative (checked at build time by
``tools/models/build_models.py --verify``; the TFLite interpreter is not a test dependency). These
tests check what the rest of hepvision relies on: digests, input/output names and shapes, and
that the models find the person in a real frame of the shared squat video.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pytest

from hepvision.errors import ModelError
from hepvision.pose.models import load_manifest, sha256_file, verified_model_path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
VIDEOS = ROOT.parent / "shared" / "data" / "videos"
VIDEO = VIDEOS / "squat_oblique_front_5fps_mediapipe_golden_tfjs.mp4"

DETECTOR = "pose_detection.onnx"
LANDMARK = "pose_landmark_full.onnx"
TASK = "pose_landmarker_full.task"

CONTRACT = {
    DETECTOR: (
        ("input", [1, 224, 224, 3]),
        [("regressors", [1, 2254, 12]), ("classificators", [1, 2254, 1])],
    ),
    LANDMARK: (
        ("input", [1, 256, 256, 3]),
        [
            ("landmarks", [1, 195]),
            ("pose_flag", [1, 1]),
            ("segmentation", [1, 256, 256, 1]),
            ("heatmap", [1, 64, 64, 39]),
            ("world_landmarks", [1, 117]),
        ],
    ),
}


def _session(name: str) -> ort.InferenceSession:
    path, _ = verified_model_path(name, MODELS)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def frame_rgb() -> np.ndarray:
    """First frame of the shared squat video, RGB uint8 (H, W, 3)."""
    if not VIDEO.is_file():
        pytest.skip(f"shared data absent: {VIDEO}")
    capture = cv2.VideoCapture(str(VIDEO))
    ok, frame = capture.read()
    capture.release()
    assert ok, f"cannot read a frame from {VIDEO}"
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def _letterbox(image: np.ndarray, size: int) -> np.ndarray:
    """Image centred on a black square, resized to (size, size, 3) float32 in 0..255."""
    h, w, _ = image.shape
    side = max(h, w)
    square = np.zeros((side, side, 3), dtype=np.uint8)
    top, left = (side - h) // 2, (side - w) // 2
    square[top : top + h, left : left + w] = image
    return cv2.resize(square, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)


def test_manifest_lists_every_artifact_with_matching_digest() -> None:
    entries = load_manifest(MODELS)
    assert {DETECTOR, LANDMARK, TASK, "LICENSE.mediapipe.txt"} <= set(entries)
    for name, entry in entries.items():
        assert sha256_file(MODELS / name) == entry.sha256, name
        assert entry.licence == "Apache-2.0"
        assert "mediapipe==0.10.21" in entry.source


def test_tampered_model_is_refused(tmp_path: Path) -> None:
    shutil.copy(MODELS / "MANIFEST.json", tmp_path / "MANIFEST.json")
    (tmp_path / DETECTOR).write_bytes(b"not the model")
    with pytest.raises(ModelError, match="SHA-256"):
        verified_model_path(DETECTOR, tmp_path)


def test_manifest_is_canonical_json() -> None:
    text = (MODELS / "MANIFEST.json").read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize("name", [DETECTOR, LANDMARK])
def test_onnx_io_contract(name: str) -> None:
    session = _session(name)
    (input_name, input_shape), outputs = CONTRACT[name]
    inputs = session.get_inputs()
    assert [(i.name, i.shape, i.type) for i in inputs] == [
        (input_name, input_shape, "tensor(float)")
    ]
    assert [(o.name, o.shape) for o in session.get_outputs()] == outputs
    results = session.run(None, {input_name: np.zeros(input_shape, dtype=np.float32)})
    assert [list(r.shape) for r in results] == [shape for _, shape in outputs]
    assert all(r.dtype == np.float32 and np.isfinite(r).all() for r in results)


def test_detector_finds_the_person(frame_rgb: np.ndarray) -> None:
    x = _letterbox(frame_rgb, 224) / 127.5 - 1.0
    regressors, classificators = _session(DETECTOR).run(None, {"input": x[None]})
    logits = np.clip(classificators[0, :, 0], -100.0, 100.0)  # as MediaPipe clips them
    assert 1.0 / (1.0 + np.exp(-logits.max())) > 0.5
    assert regressors.shape == (1, 2254, 12)


def test_detector_finds_nobody_in_a_black_frame() -> None:
    x = np.full((1, 224, 224, 3), -1.0, dtype=np.float32)
    _, classificators = _session(DETECTOR).run(None, {"input": x})
    logits = np.clip(classificators, -100.0, 100.0)
    assert 1.0 / (1.0 + np.exp(-logits.max())) < 0.5


def test_landmark_model_sees_the_pose(frame_rgb: np.ndarray) -> None:
    x = _letterbox(frame_rgb, 256) / 255.0
    landmarks, pose_flag, *_ = _session(LANDMARK).run(None, {"input": x[None]})
    assert pose_flag[0, 0] > 0.5
    xy = landmarks[0].reshape(39, 5)[:33, :2]  # 33 body landmarks + 6 auxiliary, in pixels
    hips = xy[[23, 24]]
    assert ((hips > 0) & (hips < 256)).all()


def test_task_bundle_detects_a_pose_in_video_mode(frame_rgb: np.ndarray) -> None:
    mp = pytest.importorskip("mediapipe")
    from mediapipe.tasks.python import BaseOptions, vision

    path, _ = verified_model_path(TASK, MODELS)
    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(path)),
        running_mode=vision.RunningMode.VIDEO,
    )
    image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame_rgb))
    with vision.PoseLandmarker.create_from_options(options) as landmarker:
        results = [landmarker.detect_for_video(image, t_ms) for t_ms in (0, 200)]
    for result in results:
        assert len(result.pose_landmarks) == 1
        hips = [result.pose_landmarks[0][i] for i in (23, 24)]
        assert all(0.0 < p.x < 1.0 and 0.0 < p.y < 1.0 for p in hips)
