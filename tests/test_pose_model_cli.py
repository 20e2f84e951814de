"""``--model`` on the command line, and the CPU and model figures the records keep (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hepvision.cli.main import main
from hepvision.pose.cost import STAGES
from hepvision.session.serialize import LOCAL_FIELDS, wire_part

CLIP = "bicep_curl_side_kshitij.mp4"  # 67 frames, 1 curl


def test_track_full_and_slim_full_count_alike_and_record_their_model(
        tmp_path: Path, shared_videos: Path) -> None:
    reports = {}
    for model in ("full", "full-f16"):
        out = tmp_path / f"{model}.json"
        assert main(["track", str(shared_videos / CLIP), "--exercise", "elbow_flexion",
                     "--model", model, "--no-progress", "--out", str(out)]) == 0
        reports[model] = json.loads(out.read_text())
    full, slim = reports["full"], reports["full-f16"]
    assert full["rep_details"] == slim["rep_details"] and full["reps"] == slim["reps"] == 1
    assert full["pose_model"]["model"] == "full" and slim["pose_model"]["model"] == "full-f16"
    assert full["pose_model"]["landmark_model"] in full["versions"]["models"]
    assert slim["pose_model"]["landmark_model"] in slim["versions"]["models"]
    assert slim["pose_model"]["intra_op_threads"] >= 1
    cpu = slim["cpu"]
    assert cpu["frames"] == 66 and cpu["cpu_ms_per_frame"] > 0.0
    assert set(cpu["stage_ms"]) <= {*STAGES, "other"}
    assert cpu["stage_ms"]["landmarks"] > 0.0 and cpu["stage_ms"]["decode"] > 0.0
    assert cpu["rss_mb_peak"] > 0.0


def test_track_refuses_a_model_the_wheel_does_not_ship(
        tmp_path: Path, shared_videos: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["track", str(shared_videos / CLIP), "--exercise", "elbow_flexion",
                 "--model", "heavy", "--no-progress", "--out", str(tmp_path / "r.json")])
    assert code == 1
    assert "heavy landmark model is not bundled" in capsys.readouterr().err


def test_unknown_model_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["live", "--model", "tiny"])
    assert exc.value.code == 2
    assert "invalid choice: 'tiny'" in capsys.readouterr().err


def test_live_session_saves_cpu_and_model_locally_never_uploads_them(
        tmp_path: Path, shared_videos: Path) -> None:
    out = tmp_path / "session.json"
    assert main(["live", "--video", str(shared_videos / CLIP), "--exercise", "elbow_flexion",
                 "--no-window", "--model", "auto", "--out", str(out)]) == 0
    saved = json.loads(out.read_text())
    assert saved["pose_model"]["requested"] == "auto"
    assert saved["pose_model"]["probes"]
    assert saved["cpu"]["stage_ms"]["landmarks"] > 0.0
    assert saved["cpu"]["cores"] > 0.0
    assert {"cpu", "pose_model"} <= set(LOCAL_FIELDS)
    assert "cpu" not in wire_part(saved) and "pose_model" not in wire_part(saved)


def test_the_command_line_offers_the_models_without_importing_numpy() -> None:
    """A server-only install has no numpy: building the parser must not need it."""
    import subprocess
    import sys

    code = ("import sys; from hepvision.cli.main import build_parser; build_parser(); "
            "from hepvision.pose.variants import MODEL_CHOICES; "
            "assert 'numpy' not in sys.modules and 'cv2' not in sys.modules, 'heavy import'; "
            "print(','.join(MODEL_CHOICES))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "auto,lite,full,heavy,full-f16"
