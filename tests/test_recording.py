"""Landmark recordings: round trip, validation, and the replay backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hepvision.capture.frames import Frame
from hepvision.errors import LandmarkFileError
from hepvision.pose.recording import ReplayPoseEstimator, load_recording, save_recording
from hepvision.pose.types import NUM_LANDMARKS, PoseResult


def make_results(n: int = 5, step_ms: int = 33) -> list[PoseResult]:
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        lm = rng.random((NUM_LANDMARKS, 4)).astype(np.float32)
        world = rng.normal(size=(NUM_LANDMARKS, 3)).astype(np.float32)
        out.append(PoseResult(i * step_ms, lm, world, 640, 480, 0.9))
    out.append(PoseResult.empty(n * step_ms, 640, 480))
    return out


def test_round_trip(tmp_path: Path) -> None:
    results = make_results()
    path = save_recording(tmp_path / "rec", results, fps=30.0, metadata={"backend": "onnx"})
    assert path.suffix == ".npz"
    rec = load_recording(path)
    assert len(rec) == len(results)
    assert rec.fps == 30.0
    assert rec.metadata["backend"] == "onnx"
    for a, b in zip(results, rec.results):
        assert a.timestamp_ms == b.timestamp_ms
        np.testing.assert_array_equal(a.landmarks, b.landmarks)
        np.testing.assert_array_equal(a.world_landmarks, b.world_landmarks)
    assert rec.results[-1].detected is False
    assert np.isnan(rec.results[-1].landmarks[:, :3]).all()


def test_not_a_recording(tmp_path: Path) -> None:
    bogus = tmp_path / "x.npz"
    bogus.write_bytes(b"garbage")
    with pytest.raises(LandmarkFileError):
        load_recording(bogus)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(3))
    with pytest.raises(LandmarkFileError):
        load_recording(other)
    with pytest.raises(LandmarkFileError, match="not found"):
        load_recording(tmp_path / "missing.npz")


def test_nothing_to_record(tmp_path: Path) -> None:
    with pytest.raises(LandmarkFileError):
        save_recording(tmp_path / "r.npz", [], fps=30.0)


def test_replay_serves_by_timestamp(tmp_path: Path) -> None:
    results = make_results(n=4, step_ms=100)
    rec = load_recording(save_recording(tmp_path / "r.npz", results, fps=10.0))
    replay = ReplayPoseEstimator(rec)
    image = np.zeros((480, 640, 3), np.uint8)
    got = replay.estimate(Frame(image, 203, 2))
    assert got.timestamp_ms == 203
    np.testing.assert_array_equal(got.landmarks, results[2].landmarks)
    far = replay.estimate(Frame(image, 5000, 50))
    assert not far.detected
    assert [r.timestamp_ms for r in replay.stream()] == [r.timestamp_ms for r in results]
    assert replay.info.name == "replay"
