"""``hepvision batch`` on a real local Dask cluster of 2 workers, over generated short clips.

Each clip is a synthetic squat drawn as a figure and decoded and posed for real (see
``tests/support/batch_clips.py``), 44 frames at 15 fps. The bars of issue 16: a cluster run
equals a serial run (reports minus their timing fields, landmarks exactly); a worker killed
with SIGKILL mid-run leaves every clip with one valid report and nothing half-written; a run
stopped and started again tracks only the unfinished clips; a corrupt clip is one error row.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from distributed import LocalCluster

from hepvision.batch import ClipOptions, EngineOptions, list_clips, run_batch
from hepvision.pose.recording import load_recording
from tests.support.batch_clips import write_clip, write_corrupt_clip

ROOT = Path(__file__).resolve().parents[1]
#: Report fields that depend on when and how fast a run was, not on what it found.
TIMING_FIELDS = ("processing_fps", "stage_ms", "cpu", "session_id", "created_at")
CLUSTER = EngineOptions(scheduler="local", workers=2, dashboard_address=None)
SERIAL = EngineOptions(scheduler="none")
OPTIONS = ClipOptions(exercise="squat")


def make_clips(folder: Path, count: int, *, corrupt: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        write_clip(folder / f"squat_{i}.avi", reps=1, seed=i, yaw_deg=10.0 + 7.0 * i)
    if corrupt:
        write_corrupt_clip(folder / "corrupt.avi")
    return folder


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clips(tmp_path_factory.mktemp("clips"), 4, corrupt=True)


def comparable(report_path: Path) -> str:
    report = json.loads(report_path.read_text())
    for key in TIMING_FIELDS:
        report.pop(key)
    return json.dumps(report, sort_keys=True)


def temporaries(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if ".tmp" in p.name or p.name.endswith(".part")]


def test_cluster_run_equals_serial_run_and_a_corrupt_clip_is_one_error_row(
        clips: Path, tmp_path: Path) -> None:
    jobs = list_clips(str(clips), exercise="squat")
    serial = run_batch(jobs, tmp_path / "serial", OPTIONS, SERIAL)
    cluster = run_batch(jobs, tmp_path / "cluster", OPTIONS, CLUSTER)
    for result in (serial, cluster):
        status = {o.name: o.status for o in result.outcomes}
        assert status == {"corrupt": "error", "squat_0": "ok", "squat_1": "ok",
                          "squat_2": "ok", "squat_3": "ok"}
        assert "no video stream" in (result.outcomes[0].error or "")
    assert len({o.worker for o in cluster.outcomes if o.status == "ok"}) == 2  # both worked
    for name in ("squat_0", "squat_1", "squat_2", "squat_3"):
        a = tmp_path / "serial" / "reports" / f"{name}.json"
        b = tmp_path / "cluster" / "reports" / f"{name}.json"
        assert comparable(a) == comparable(b)
        ra = load_recording(tmp_path / "serial" / "landmarks" / f"{name}.npz")
        rb = load_recording(tmp_path / "cluster" / "landmarks" / f"{name}.npz")
        assert np.array_equal(np.stack([r.landmarks for r in ra.results]),
                              np.stack([r.landmarks for r in rb.results]), equal_nan=True)
    rows = json.loads(cluster.summary_json.read_text())["clips"]
    assert [r["name"] for r in rows] == ["corrupt", "squat_0", "squat_1", "squat_2", "squat_3"]
    assert cluster.summary_csv.read_text().count("\n") == 6
    assert not temporaries(tmp_path)


def run_cli(clips: Path, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "hepvision", "batch", str(clips), "--exercise", "squat",
         "--out", str(out), "--workers", "2", "--no-progress"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)


def wait_for_done_marks(out: Path, proc: subprocess.Popen[str], count: int) -> list[Path]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        marks = sorted((out / "done").glob("*.json"))
        if len(marks) >= count:
            return marks
        time.sleep(0.05)
    raise AssertionError(f"no {count} finished clips in time: {proc.communicate()}")


def test_a_worker_killed_mid_run_leaves_one_valid_report_per_clip(tmp_path: Path) -> None:
    clips = make_clips(tmp_path / "clips", 6)
    out = tmp_path / "out"
    proc = run_cli(clips, out)
    first = wait_for_done_marks(out, proc, 1)[0]
    pid = int(json.loads(first.read_text())["outcome"]["worker"].rsplit(":", 1)[1])
    os.kill(pid, signal.SIGKILL)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["totals"] == {**summary["totals"], "clips": 6, "ok": 6, "errors": 0}
    reports = sorted((out / "reports").iterdir())
    assert [p.name for p in reports] == [f"squat_{i}.json" for i in range(6)]
    for report in reports:
        assert json.loads(report.read_text())["schema"] == "hepvision.track-report/1"
        assert load_recording(out / "landmarks" / f"{report.stem}.npz").results
    assert not temporaries(out)


def test_a_stopped_run_started_again_tracks_only_unfinished_clips(tmp_path: Path) -> None:
    clips = make_clips(tmp_path / "clips", 6)
    out = tmp_path / "out"
    proc = run_cli(clips, out)
    wait_for_done_marks(out, proc, 2)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole run, workers and all, at once
    proc.communicate(timeout=30)
    finished = {p.stem: p.stat().st_mtime_ns for p in (out / "done").glob("*.json")}
    assert 2 <= len(finished) < 6
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        # the second run joins an existing scheduler by its address (--scheduler tcp://...)
        existing = EngineOptions(scheduler=cluster.scheduler_address, workers=2)
        again = run_batch(list_clips(str(clips), exercise="squat"), out, OPTIONS, existing)
    cached = {o.name for o in again.outcomes if o.cached}
    assert cached == set(finished)
    assert again.tracked == 6 - len(finished) and again.errors == 0
    for name, mtime in finished.items():
        assert (out / "done" / f"{name}.json").stat().st_mtime_ns == mtime
    assert not temporaries(out)
