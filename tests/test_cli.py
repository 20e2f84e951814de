"""The command line as a user meets it: exit codes, one-line errors, the report contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hepvision.cli.main import main
from hepvision.demo import DEMO_REPS, demo_recording_path

REPORT_KEYS = {"exercise", "reps", "rep_details", "frames", "frames_with_pose", "duration_s",
               "processing_fps", "versions"}
REP_KEYS = {"start_ms", "end_ms", "peak_ms", "rom_start_deg", "rom_peak_deg", "rom_range_deg"}


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hepvision", *args], capture_output=True,
                          text=True, timeout=120)


def test_demo_counts_the_built_in_recording(tmp_path: Path) -> None:
    out = tmp_path / "demo.json"
    assert main(["demo", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert REPORT_KEYS <= set(report)
    assert report["exercise"] == "squat"
    assert report["reps"] == DEMO_REPS
    assert len(report["rep_details"]) == DEMO_REPS
    for rep in report["rep_details"]:
        assert REP_KEYS <= set(rep)
        assert rep["start_ms"] < rep["peak_ms"] < rep["end_ms"]
        assert 80 <= rep["rom_peak_deg"] <= 110  # the generator's squat bottoms at ~95 deg
    assert report["versions"]["template"]["id"] == "squat"
    assert len(report["versions"]["template"]["sha256"]) == 64
    assert report["backend"] == "replay"


def test_track_replays_a_recording_and_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["track", str(demo_recording_path()), "--exercise", "squat"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["reps"] == DEMO_REPS
    assert "squat: 8 reps" in captured.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["track", "/nonexistent/clip.mp4", "--exercise", "squat"], "not found"),
        (["track", "{demo}", "--exercise", "no_such_exercise"], "no_such_exercise"),
        (["track", "/nonexistent/rec.npz", "--exercise", "squat"], "not found"),
        (["track", "{notvideo}", "--exercise", "squat"], "cannot open"),
        (["track", "{demo}", "--exercise", "squat", "--max-frames", "0"], "positive"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(tmp_path: Path, args: list[str], message: str) -> None:
    notvideo = tmp_path / "notes.mp4"
    notvideo.write_text("not a video")
    args = [a.format(demo=demo_recording_path(), notvideo=notvideo) for a in args]
    proc = run_cli(*args)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("hepvision: error:")]
    assert len(lines) == 1 and message in lines[0]


def test_nobody_in_view_is_an_error(tmp_path: Path) -> None:
    import cv2

    video = tmp_path / "empty_room.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (160, 120))
    for _ in range(10):
        writer.write(np.full((120, 160, 3), 90, np.uint8))
    writer.release()
    proc = run_cli("track", str(video), "--exercise", "squat", "--out", str(tmp_path / "r.json"))
    assert proc.returncode == 1
    assert "nobody was found" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "r.json").exists()


def test_usage_error_exits_2() -> None:
    proc = run_cli("track")
    assert proc.returncode == 2
    assert "usage:" in proc.stderr


def test_save_landmarks_then_replay_gives_same_count(tmp_path: Path,
                                                      shared_videos: Path) -> None:
    clip = shared_videos / "bicep_curl_side_kshitij.mp4"
    rec = tmp_path / "curl.npz"
    first = tmp_path / "a.json"
    assert main(["track", str(clip), "--exercise", "elbow_flexion", "--out", str(first),
                 "--save-landmarks", str(rec)]) == 0
    second = tmp_path / "b.json"
    assert main(["track", str(rec), "--exercise", "elbow_flexion", "--out", str(second)]) == 0
    a, b = json.loads(first.read_text()), json.loads(second.read_text())
    assert a["reps"] == b["reps"] == 1
    assert a["frames"] == b["frames"] == 67
    assert a["frames_with_pose"] == b["frames_with_pose"]
    assert a["versions"]["models"] and set(a["versions"]["models"]) == set(b["versions"]["models"])
    assert a["rep_details"] == b["rep_details"]


def test_track_queues_the_session_when_enrolled(tmp_path: Path, shared_videos: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from hepvision.upload.device import DeviceConfig
    from hepvision.upload.outbox import Outbox

    home = tmp_path / "home"
    monkeypatch.setenv("HEPVISION_HOME", str(home))
    clip = shared_videos / "bicep_curl_side_kshitij.mp4"
    # Not enrolled: nothing is queued, the run still succeeds.
    assert main(["track", str(clip), "--exercise", "elbow_flexion", "--out",
                 str(tmp_path / "a.json")]) == 0
    assert not (home / "outbox.sqlite3").exists() or Outbox.default(home).status().pending == 0
    DeviceConfig(server_url="http://127.0.0.1:9", device_token="t" * 32, patient_id=1,
                 enrolled_at="2026-11-23T09:00:00+00:00").save(home)
    assert main(["track", str(clip), "--exercise", "elbow_flexion", "--out",
                 str(tmp_path / "b.json")]) == 0
    with Outbox.default(home) as outbox:
        assert outbox.status().pending == 1
    # A replayed recording is analysis, not a new session: not queued.
    assert main(["track", str(demo_recording_path()), "--exercise", "squat"]) == 0
    with Outbox.default(home) as outbox:
        assert outbox.status().pending == 1
