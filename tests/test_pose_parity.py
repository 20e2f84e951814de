"""Parity of the ``onnx`` and ``mediapipe`` backends on real clips, and the tfjs golden test.

Bars (issue): mean landmark distance between the backends <= 1.5 % of the frame height, over
landmarks with visibility > 0.5 in both; on the tfjs-models golden squat video
(``pose_squats.full.json``), >= 95 % of the visible landmarks within 15 px of the reference,
for both backends. Clips are read from ``../shared/data``; the tests skip when it is absent.
To keep the suite fast, the two extra clips use their first 75 frames (at the source rate).
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from hepvision.capture.frames import Frame
from hepvision.pose.types import PoseResult

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
VIDEOS = DATA / "videos"
GOLDEN_CLIP = "squat_oblique_front_5fps_mediapipe_golden_tfjs.mp4"
GOLDEN_JSON = DATA / "reference" / "pose_squats.full.json"
EXTRA_CLIPS = ("lunge_reverse_front_ven.mp4", "jumping_jacks_front_rjsong.mp4")
EXTRA_FRAMES = 75
VISIBLE = 0.5
MAX_MEAN_PCT_HEIGHT = 1.5
GOLDEN_TOLERANCE_PX = 15.0
GOLDEN_MIN_SHARE = 0.95

MODELS = REPO / "models"
pytestmark = [
    pytest.mark.skipif(not VIDEOS.is_dir(), reason=f"shared clips not found at {VIDEOS}"),
    pytest.mark.skipif(
        not all(
            (MODELS / name).is_file()
            for name in (
                "pose_detection.onnx",
                "pose_landmark_full.onnx",
                "pose_landmarker_full.task",
            )
        ),
        reason="pose models not built",
    ),
]


def _read(name: str, max_frames: int | None = None) -> list[Frame]:
    path = VIDEOS / name
    if not path.is_file():
        pytest.skip(f"{path} not found")
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames: list[Frame] = []
    while max_frames is None or len(frames) < max_frames:
        ok, image = cap.read()
        if not ok:
            break
        frames.append(Frame(image, int(round(len(frames) * 1000.0 / fps)), len(frames)))
    cap.release()
    assert frames, f"no frames decoded from {path}"
    return frames


def _run(backend: str, frames: list[Frame]) -> list[PoseResult]:
    if backend == "onnx":
        from hepvision.pose.onnx_backend import OnnxPoseEstimator as Estimator
    else:
        pytest.importorskip("mediapipe")
        from hepvision.pose.mediapipe_backend import MediaPipePoseEstimator as Estimator
    with Estimator() as estimator:
        return [estimator.estimate(frame) for frame in frames]


@pytest.fixture(scope="module")
def runs() -> dict[str, dict[str, list[PoseResult]]]:
    """Results per clip per backend, computed once for the module."""
    out: dict[str, dict[str, list[PoseResult]]] = {}
    for clip, limit in [(GOLDEN_CLIP, None), *((c, EXTRA_FRAMES) for c in EXTRA_CLIPS)]:
        frames = _read(clip, limit)
        out[clip] = {backend: _run(backend, frames) for backend in ("onnx", "mediapipe")}
    return out


def _distances_pct_height(a: list[PoseResult], b: list[PoseResult]) -> np.ndarray:
    out = []
    for ra, rb in zip(a, b, strict=True):
        if ra.detected and rb.detected:
            seen = (ra.landmarks[:, 3] > VISIBLE) & (rb.landmarks[:, 3] > VISIBLE)
            d = np.linalg.norm(ra.pixels() - rb.pixels(), axis=1)[seen]
            out.append(100.0 * d / ra.image_height_px)
    return np.concatenate(out) if out else np.zeros(0)


@pytest.mark.parametrize("clip", [GOLDEN_CLIP, *EXTRA_CLIPS])
def test_onnx_matches_mediapipe(runs: dict[str, dict[str, list[PoseResult]]], clip: str) -> None:
    onnx, mp = runs[clip]["onnx"], runs[clip]["mediapipe"]
    detected_o = np.array([r.detected for r in onnx])
    detected_m = np.array([r.detected for r in mp])
    # the same frames have a person (allow one frame of disagreement at a track loss)
    assert (detected_o != detected_m).sum() <= 1
    assert detected_o.mean() > 0.9
    d = _distances_pct_height(onnx, mp)
    assert d.size > 20 * len(onnx)
    assert d.mean() <= MAX_MEAN_PCT_HEIGHT, f"{clip}: mean {d.mean():.3f} % of height"


@pytest.mark.parametrize("backend", ["onnx", "mediapipe"])
def test_golden_tfjs_squat_video(
    runs: dict[str, dict[str, list[PoseResult]]], backend: str
) -> None:
    if not GOLDEN_JSON.is_file():
        pytest.skip(f"{GOLDEN_JSON} not found")
    expected = json.loads(GOLDEN_JSON.read_text(encoding="utf-8"))
    results = runs[GOLDEN_CLIP][backend]
    assert len(results) == len(expected)
    within = total = 0
    for result, frame in zip(results, expected, strict=True):
        assert result.detected
        seen = result.landmarks[:, 3] > VISIBLE
        d = np.linalg.norm(result.pixels() - np.asarray(frame)[:, :2], axis=1)[seen]
        within += int((d <= GOLDEN_TOLERANCE_PX).sum())
        total += int(seen.sum())
    assert total > 25 * len(expected)
    assert within / total >= GOLDEN_MIN_SHARE, f"{backend}: {100 * within / total:.2f} %"


def test_world_landmarks_agree(runs: dict[str, dict[str, list[PoseResult]]]) -> None:
    """World landmarks (metres, hip-centred) agree to a few centimetres on the golden clip."""
    onnx, mp = runs[GOLDEN_CLIP]["onnx"], runs[GOLDEN_CLIP]["mediapipe"]
    diffs = [
        np.linalg.norm(a.world_landmarks[:, :2] - b.world_landmarks[:, :2], axis=1).mean()
        for a, b in zip(onnx, mp, strict=True)
        if a.detected and b.detected
    ]
    assert np.mean(diffs) < 0.05
