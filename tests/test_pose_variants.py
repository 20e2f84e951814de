"""Landmark model variants, their choice at start, and what a frame costs (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hepvision.capture.frames import DecodeClock, Frame
from hepvision.capture.sources import DEFAULT_CAMERA_SIZE, VideoFileSource
from hepvision.capture.video_file import decode_threads
from hepvision.errors import ModelError
from hepvision.pose.cost import CostMeter, PoseCost, StageTimed
from hepvision.pose.factory import create_estimator
from hepvision.pose.models import verified_model_path
from hepvision.pose.onnx_backend import (
    FULL_LANDMARK_MODEL,
    LANDMARK_MODEL,
    OnnxPoseEstimator,
    OnnxPoseOptions,
    create_session,
)
from hepvision.pose.selection import POSE_SHARE, select_model
from hepvision.pose.variants import (
    MODEL_CHOICES,
    VARIANTS,
    PoseModel,
    landmark_file,
    parse_model,
)

MODELS = Path(__file__).resolve().parents[1] / "models"
OUTPUTS = ["landmarks", "pose_flag", "world_landmarks", "heatmap"]


class FakeProbe:
    """Probe timings by (file, threads); records what was probed."""

    def __init__(self, wall_ms: dict[tuple[str, int], float]) -> None:
        self.wall_ms = wall_ms
        self.calls: list[tuple[str, int]] = []

    def __call__(self, path: Path, threads: int) -> tuple[float, float]:
        self.calls.append((path.name, threads))
        wall = self.wall_ms[(path.name, threads)]
        return wall * 0.9, wall


# -- names --------------------------------------------------------------------------------------


def test_model_choices_are_the_issue_s_names_and_the_slim_full() -> None:
    assert set(MODEL_CHOICES) == {"auto", "lite", "full", "heavy", "full-f16"}
    assert parse_model("full-f16") is PoseModel.FULL_F16


def test_unknown_model_name_is_refused() -> None:
    with pytest.raises(ModelError, match="unknown pose model 'tiny'"):
        parse_model("tiny")


@pytest.mark.parametrize("model", [PoseModel.LITE, PoseModel.HEAVY])
def test_variant_missing_from_the_wheel_is_refused_with_its_reason(model: PoseModel) -> None:
    with pytest.raises(ModelError, match="not bundled: the mediapipe 0.10.21 wheel"):
        landmark_file(model)


def test_auto_is_not_a_file() -> None:
    with pytest.raises(ModelError, match="chosen by measurement"):
        landmark_file(PoseModel.AUTO)


def test_every_bundled_variant_is_in_the_manifest() -> None:
    manifest = json.loads((MODELS / "MANIFEST.json").read_text())["files"]
    for variant in VARIANTS.values():
        if variant.file is not None:
            assert variant.file in manifest
            assert "Apache-2.0" == manifest[variant.file]["licence"]


# -- the slim full model --------------------------------------------------------------------------


def test_slim_full_model_is_the_default_and_gives_full_s_outputs_bit_for_bit() -> None:
    assert LANDMARK_MODEL == "pose_landmark_full_f16.onnx"
    slim_path, _ = verified_model_path(LANDMARK_MODEL, MODELS)
    full_path, _ = verified_model_path(FULL_LANDMARK_MODEL, MODELS)
    slim, full = create_session(slim_path, 1), create_session(full_path, 2)
    assert "segmentation" not in {o.name for o in slim.get_outputs()}
    x = np.random.default_rng(7).uniform(0.0, 1.0, (1, 256, 256, 3)).astype(np.float32)
    for a, b in zip(slim.run(OUTPUTS, {"input": x}), full.run(OUTPUTS, {"input": x}),
                    strict=True):
        assert np.array_equal(a, b)
    assert slim_path.stat().st_size < 0.55 * full_path.stat().st_size


# -- choosing at start ----------------------------------------------------------------------------


def test_one_thread_when_it_keeps_up() -> None:
    probe = FakeProbe({(LANDMARK_MODEL, 1): 15.0})
    sel = select_model("auto", source_fps=30.0, max_threads=4, probe=probe)
    assert (sel.model, sel.intra_op_threads, sel.keeps_up) == ("full-f16", 1, True)
    assert probe.calls == [(LANDMARK_MODEL, 1)]
    assert sel.budget_ms == pytest.approx(POSE_SHARE * 1000.0 / 30.0)
    assert sel.landmark_model == LANDMARK_MODEL and sel.opencv_threads == 1


def test_more_threads_only_when_one_would_drop_frames() -> None:
    probe = FakeProbe({(LANDMARK_MODEL, 1): 30.0, (LANDMARK_MODEL, 2): 18.0})
    sel = select_model("auto", source_fps=30.0, max_threads=4, probe=probe)
    assert sel.intra_op_threads == 2 and sel.keeps_up
    assert [p.keeps_up for p in sel.probes] == [False, True]


def test_threads_that_do_not_help_stop_the_search_and_the_fastest_runs() -> None:
    probe = FakeProbe({(LANDMARK_MODEL, 1): 40.0, (LANDMARK_MODEL, 2): 39.0})
    sel = select_model("auto", source_fps=30.0, max_threads=4, probe=probe)
    assert probe.calls == [(LANDMARK_MODEL, 1), (LANDMARK_MODEL, 2)]  # 3 never tried
    assert not sel.keeps_up
    assert sel.intra_op_threads == 2  # the fastest probed


def test_a_named_variant_still_gets_its_threads_measured() -> None:
    probe = FakeProbe({(FULL_LANDMARK_MODEL, 1): 20.0})
    sel = select_model("full", source_fps=30.0, probe=probe)
    assert (sel.requested, sel.model, sel.landmark_model) == ("full", "full", FULL_LANDMARK_MODEL)
    assert sel.to_dict()["probes"] == [{"model": "full", "threads": 1, "cpu_ms": 18.0,
                                        "wall_ms": 20.0, "keeps_up": True}]


def test_selection_refuses_a_missing_variant_and_a_bad_rate() -> None:
    probe = FakeProbe({})
    with pytest.raises(ModelError, match="not bundled"):
        select_model("heavy", probe=probe)
    with pytest.raises(ValueError, match="source_fps must be positive"):
        select_model("auto", source_fps=0.0, probe=probe)
    assert probe.calls == []


def test_auto_estimator_records_its_choice_and_hash() -> None:
    with create_estimator("onnx", model="auto", source_fps=30.0) as est:
        sel = est.info.selection
        assert sel is not None and sel.requested == "auto"
        assert sel.landmark_model in est.info.model_sha256
        assert sel.probes and sel.probes[0].cpu_ms > 0.0


def test_estimator_without_a_choice_runs_the_default_on_one_thread_unmeasured() -> None:
    with create_estimator("onnx") as est:
        sel = est.info.selection
        assert sel is not None
        assert (sel.requested, sel.model, sel.intra_op_threads, sel.probes) == (
            "default", "full-f16", 1, ())


def test_mediapipe_backend_refuses_an_onnx_only_variant() -> None:
    with pytest.raises(ModelError, match="not bundled"):
        create_estimator("mediapipe", model="lite")


# -- what a frame costs ---------------------------------------------------------------------------


def test_estimator_times_its_stages_detector_only_when_it_runs() -> None:
    image = np.zeros((360, 640, 3), np.uint8)
    with OnnxPoseEstimator(OnnxPoseOptions()) as est:
        assert isinstance(est, StageTimed)
        est.estimate(Frame(image, 0, 0))
        cost = est.last_cost
        assert est.detector_ran and cost.detector_ms > 0.0
        assert cost.landmarks_ms == 0.0  # nobody found: the landmark model never ran


def test_cost_meter_means_per_frame_after_warmup() -> None:
    clock = DecodeClock()
    meter = CostMeter(decode=clock, warmup_frames=2)
    for i in range(5):
        clock.add(2.0)
        meter.frame(PoseCost(crop_ms=1.0, detector_ms=4.0 if i == 3 else 0.0,
                             landmarks_ms=10.0, post_ms=0.5), after_pose_ms=0.25)
    summary = meter.summary()
    assert summary is not None and summary.frames == 3
    assert summary.stage_ms["decode"] == pytest.approx(2.0)
    assert summary.stage_ms["detector"] == pytest.approx(4.0 / 3)
    assert summary.stage_ms["landmarks"] == pytest.approx(10.0)
    assert summary.stage_ms["after_pose"] == pytest.approx(0.25)
    assert summary.rss_mb_peak >= summary.rss_mb_end > 0.0


def test_cost_meter_has_no_figures_before_a_frame_past_warmup() -> None:
    meter = CostMeter(warmup_frames=1)
    meter.frame(None, 0.0)
    assert meter.summary() is None


# -- capture --------------------------------------------------------------------------------------


def test_decoding_threads_are_bounded_by_frame_size() -> None:
    assert decode_threads(1280, 720) == 1
    assert decode_threads(1920, 1080) == 1
    assert decode_threads(3840, 2160) == 2
    assert DEFAULT_CAMERA_SIZE == (640, 480)


def test_video_source_counts_its_decoding_cpu(tmp_path: Path) -> None:
    import cv2

    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (64, 48))
    for i in range(6):
        writer.write(np.full((48, 64, 3), 20 * i, np.uint8))
    writer.release()
    with VideoFileSource(path) as src:
        frames = list(src)
        assert src.decoding_threads in (0, 1)
    assert len(frames) == 6
    assert src.decode.frames == 5  # the first frame is read when the source opens
    assert src.decode.cpu_ms >= 0.0


def test_mediapipe_backend_refuses_the_onnx_only_slim_file() -> None:
    with pytest.raises(ModelError, match="file of the onnx backend"):
        create_estimator("mediapipe", model="full-f16")


def test_bound_run_gives_session_run_s_outputs_in_buffers_reused_every_frame() -> None:
    from hepvision.pose.onnx_session import BoundRun

    path, _ = verified_model_path(LANDMARK_MODEL, MODELS)
    session = create_session(path, 1)
    x = np.empty((1, 256, 256, 3), np.float32)
    bound = BoundRun(session, "input", x, OUTPUTS)
    rng = np.random.default_rng(11)
    first = None
    for _ in range(2):
        x[...] = rng.uniform(0.0, 1.0, x.shape)  # the next frame, written in place
        got = bound.run()
        want = session.run(OUTPUTS, {"input": x})
        assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
        first = first or [id(a) for a in got]
        assert [id(a) for a in got] == first
