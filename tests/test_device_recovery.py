"""The device keeps its promises when its files are damaged: a corrupt, truncated or emptied
outbox and a damaged ``prescription.json`` give one line on stderr and are recovered (the
file set aside, the queue rebuilt from the saved sessions, the prescription fetched again);
``live --no-window`` saves to the sessions folder; a missing camera is one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi import FastAPI

from hepvision.cli.main import main
from hepvision.demo import DEMO_REPS, demo_recording_path
from hepvision.upload.device import DeviceConfig, sessions_dir
from hepvision.upload.outbox import Outbox, enqueue_session, outbox_path
from hepvision.upload.prescription import load_prescription, prescription_path
from tests.support.session_records import example_session_record
from tests.device_world import Clinic, make_server, point_device_at


@pytest.fixture(scope="module")
def demo_frames(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Blank frames at the demo recording's 30 fps: ``track FOLDER --backend replay
    --landmarks DEMO`` is then a tracked clip (queued), not a replayed recording (never)."""
    folder = tmp_path_factory.mktemp("frames")
    blank = np.zeros((24, 32, 3), np.uint8)
    for index in range(780):
        cv2.imwrite(str(folder / f"{index:04d}.png"), blank)
    return folder


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An enrolled device whose server cannot be reached."""
    monkeypatch.setenv("HEPVISION_HOME", str(tmp_path / "device"))
    enrolled = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    DeviceConfig("http://127.0.0.1:9", "t" * 32, 1, enrolled).save()
    return tmp_path / "device"


def track_args(frames: Path) -> list[str]:
    return ["track", str(frames), "--exercise", "squat", "--backend", "replay",
            "--landmarks", str(demo_recording_path()), "--no-progress"]


def queued_ids() -> set[str]:
    with Outbox.default() as outbox:
        return {item.session_id for item in outbox.due(float("inf"), limit=1000)}


def saved_ids() -> set[str]:
    return {p.stem for p in sessions_dir().glob("*.json")}


def garbage(path: Path) -> None:
    path.write_bytes(np.random.default_rng(0).bytes(5000))


def cut(size: int) -> Callable[[Path], None]:
    """Truncate the file to ``size`` bytes (0: emptied; 100: inside SQLite's header)."""
    def damage(path: Path) -> None:
        with open(path, "r+b") as fh:
            fh.truncate(size)
    return damage


@pytest.mark.parametrize("damage", [garbage, cut(0), cut(100), cut(4096)],
                         ids=["garbage", "emptied", "cut-in-header", "cut-to-one-page"])
def test_damaged_outbox_is_set_aside_and_rebuilt_by_track(
        home: Path, demo_frames: Path, damage: Callable[[Path], None],
        capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(2):
        assert main(track_args(demo_frames)) == 0
    before = queued_ids()
    assert len(before) == 2
    original = outbox_path().read_bytes()
    damage(outbox_path())
    damaged = outbox_path().read_bytes()
    capsys.readouterr()

    assert main(track_args(demo_frames)) == 0
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and "saved session(s) queued again" in warnings[0], err
    after = queued_ids()
    assert len(after) == 3 and before < after and after == saved_ids()  # nothing lost
    kept = list(home.glob("outbox.sqlite3.damaged-*"))
    if damaged:  # the damaged file is kept as it was; an empty one has nothing to keep
        assert [p.read_bytes() for p in kept] == [damaged] and damaged != original
    assert main(["sync", "--status"]) == 0
    assert "pending=3 sent=0 rejected=0" in capsys.readouterr().out


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hepvision", *args], capture_output=True,
                          text=True, timeout=120, env=dict(os.environ))


def test_garbage_outbox_is_one_line_for_a_user(home: Path, demo_frames: Path,
                                              tmp_path: Path) -> None:
    assert main(track_args(demo_frames)) == 0
    garbage(outbox_path())
    status = run_cli("sync", "--status")
    assert status.returncode == 0 and "pending=1 sent=0" in status.stdout
    assert len(status.stderr.splitlines()) == 1
    assert status.stderr.startswith("warning: the outbox ") and "damaged" in status.stderr
    garbage(outbox_path())
    track = run_cli(*track_args(demo_frames), "--out", str(tmp_path / "r.json"))
    assert track.returncode == 0 and "Traceback" not in track.stderr
    assert len([line for line in track.stderr.splitlines() if "damaged" in line]) == 1
    assert len(list(home.glob("outbox.sqlite3.damaged-*"))) == 2
    assert len(saved_ids()) == 2 and queued_ids() == saved_ids()


def test_rebuilt_outbox_sends_only_what_the_server_lacks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HEPVISION_HOME", str(tmp_path / "device"))
    app = make_server(tmp_path)
    point_device_at(app, monkeypatch)
    clinic = Clinic(app)
    patient_id, _, code = clinic.new_patient()
    assert main(["enroll", code, "--server", "https://testserver"]) == 0
    now = datetime.now(UTC)
    for k in range(2):
        enqueue_session(example_session_record(started_at=now + timedelta(seconds=k)))
    assert main(["sync"]) == 0
    garbage(outbox_path())
    enqueue_session(example_session_record(started_at=now + timedelta(seconds=5)))
    capsys.readouterr()
    assert main(["sync"]) == 0
    assert "sent=1 already_there=2 rejected=0 pending=0" in capsys.readouterr().out
    assert len(clinic.sessions(patient_id)) == 3
    app.state.engine.dispose()


def test_damaged_prescription_is_set_aside_and_fetched_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HEPVISION_HOME", str(tmp_path / "device"))
    app = make_server(tmp_path)
    point_device_at(app, monkeypatch)
    clinic = Clinic(app)
    patient_id, _, code = clinic.new_patient()
    version = clinic.prescribe(patient_id)
    assert main(["enroll", code, "--server", "https://testserver"]) == 0
    prescription_path().write_text('{"version": 1, "exercises": [{"exer')  # a torn write
    capsys.readouterr()
    assert main(["sync", "--status"]) == 0
    captured = capsys.readouterr()
    assert "prescription: none received yet" in captured.out
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: ") and "damaged" in lines[0]
    assert list(prescription_path().parent.glob("prescription.json.damaged-*"))
    assert main(["sync"]) == 0
    assert f"prescription: version {version} (new)" in capsys.readouterr().out
    saved = load_prescription()
    assert saved is not None and saved["version"] == version
    app.state.engine.dispose()


def test_live_without_window_or_out_saves_to_the_sessions_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HEPVISION_HOME", str(tmp_path / "device"))
    clip = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (64, 48))
    for _ in range(10):
        writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.release()
    assert main(["live", "--exercise", "squat", "--video", str(clip), "--no-window",
                 "--pain-before", "9", "--pain-after", "9"]) == 0
    saved = list(sessions_dir().glob("*.json"))
    assert len(saved) == 1
    assert f"session saved to {saved[0]}" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["track", "7", "--exercise", "squat"],
                                  ["live", "--exercise", "squat", "--camera", "7",
                                   "--no-window"]], ids=["track", "live"])
def test_missing_camera_is_exactly_one_line(args: list[str], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    if Path("/dev/video7").exists():
        pytest.skip("this machine has a camera 7")
    monkeypatch.setenv("HEPVISION_HOME", str(tmp_path))
    proc = run_cli(*args)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "hepvision: error: cannot open camera 7: no such camera or it is in use"]


def test_demo_frames_replay_the_demo_recording(demo_frames: Path, home: Path) -> None:
    """The fixture's frames line up with the demo recording (else the tests above would
    queue sessions of nothing)."""
    out = home / "r.json"
    assert main(track_args(demo_frames) + ["--out", str(out)]) == 0
    assert json.loads(out.read_text())["reps"] == DEMO_REPS
