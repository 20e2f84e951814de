"""Tests of the MediaPipe Tasks backend (skipped where mediapipe or the .task bundle is missing)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from hepvision.capture.frames import Frame
from hepvision.errors import ModelError
from hepvision.pose.base import PoseEstimator
from hepvision.pose.mediapipe_backend import (
    TASK_MODEL,
    MediaPipePoseEstimator,
    MediaPipePoseOptions,
)

MODELS = Path(__file__).resolve().parents[1] / "models"

needs_task = pytest.mark.skipif(
    not (MODELS / TASK_MODEL).is_file(), reason="models/pose_landmarker_full.task not built"
)


def _have_mediapipe() -> bool:
    try:
        import mediapipe  # noqa: F401
    except ImportError:
        return False
    return True


needs_mediapipe = pytest.mark.skipif(not _have_mediapipe(), reason="mediapipe not installed")


@needs_task
@needs_mediapipe
def test_black_frame_is_empty_and_info_names_the_bundle() -> None:
    with MediaPipePoseEstimator() as est:
        assert isinstance(est, PoseEstimator)
        assert est.info.name == "mediapipe"
        assert list(est.info.model_sha256) == [TASK_MODEL]
        result = est.estimate(Frame(np.zeros((480, 640, 3), np.uint8), 0, 0))
    assert not result.detected
    assert np.isnan(result.landmarks[:, :3]).all()
    assert (result.landmarks[:, 3] == 0.0).all()
    assert np.isnan(result.world_landmarks).all()


@needs_task
@needs_mediapipe
@pytest.mark.parametrize("second_ms", [40, 39])
def test_timestamps_must_increase(second_ms: int) -> None:
    black = np.zeros((240, 320, 3), np.uint8)
    with MediaPipePoseEstimator() as est:
        est.estimate(Frame(black, 40, 0))
        with pytest.raises(ValueError, match="timestamps must increase"):
            est.estimate(Frame(black, second_ms, 1))


@needs_task
def test_missing_mediapipe_is_a_model_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mediapipe", None)  # makes `import mediapipe` fail
    with pytest.raises(ModelError, match="needs the mediapipe package"):
        MediaPipePoseEstimator()


def test_bundle_not_in_manifest_is_a_model_error(tmp_path: Path) -> None:
    (tmp_path / "MANIFEST.json").write_text('{"files": {}}', encoding="utf-8")
    with pytest.raises(ModelError, match="not listed"):
        MediaPipePoseEstimator(MediaPipePoseOptions(model_dir=tmp_path))


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="min_tracking_confidence"):
        MediaPipePoseOptions(min_tracking_confidence=-0.1)
