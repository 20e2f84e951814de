"""The Python API: README's example runs as written; ``Tracker`` gives the record ``track``
gives; the running modes' timestamp rules; ``import hepvision`` stays light."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import hepvision
from hepvision import RunningMode, SessionRecord, Tracker, TrackerOptions
from hepvision.demo import DEMO_REPS, demo_recording_path
from hepvision.session.serialize import upload_record
from tests.support.demo_frames import demo_images

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_examples() -> list[str]:
    """The ``python`` code blocks of README's "Python API" section, in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def without_timing(record: SessionRecord) -> dict[str, Any]:
    wire = upload_record(record).model_dump(mode="json")
    return {k: v for k, v in wire.items()
            if k not in ("session_id", "started_at", "ended_at", "duration_s")}


def test_the_readme_example_runs_as_written() -> None:
    example = readme_examples()[0]
    assert len(example.strip().splitlines()) == 5
    out = io.StringIO()
    namespace: dict[str, Any] = {}
    with contextlib.redirect_stdout(out):
        exec(compile(example, "README.md", "exec"), namespace)  # noqa: S102
    record = namespace["record"]
    assert isinstance(record, SessionRecord) and record.total_reps == DEMO_REPS
    count, peaks = out.getvalue().split(" ", 1)
    assert int(count) == DEMO_REPS
    assert all(80 <= int(p) <= 110 for p in re.findall(r"-?\d+", peaks))


def test_the_readme_tracker_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    example = readme_examples()[1]
    namespace: dict[str, Any] = {"camera_frames": lambda: demo_images(20)}
    exec(compile(example, "README.md", "exec"), namespace)  # noqa: S102
    record = namespace["record"]
    assert isinstance(record, SessionRecord) and record.media is None
    assert record.exercises[0].sets[0].analysis.frames == 20


def test_tracker_frames_give_the_record_track_gives() -> None:
    options = TrackerOptions(exercise="squat", backend="replay",
                             landmarks=demo_recording_path())
    shown = []
    with Tracker(options) as tracker:
        for image, ts in demo_images():
            feedback = tracker.process(image, ts)
            assert feedback is not None and feedback.timestamp_ms == ts
            shown.append(feedback.reps)
    assert shown[-1] == DEMO_REPS and shown == sorted(shown)
    by_frames = tracker.record
    by_clip = hepvision.track(demo_recording_path(), exercise="squat")
    assert by_frames.total_reps == by_clip.total_reps == DEMO_REPS
    assert without_timing(by_frames) == without_timing(by_clip)
    assert tracker.close() is by_frames  # closing again returns the same record


def test_running_modes_and_the_record_before_close() -> None:
    image, _ = demo_images(1)[0]
    replay = {"backend": "replay", "landmarks": demo_recording_path()}
    video = Tracker(TrackerOptions(exercise="squat", **replay))
    try:
        video.process(image, 100)
        with pytest.raises(ValueError, match="increase"):
            video.process(image, 100)
        with pytest.raises(ValueError, match="closed"):
            _ = video.record
    finally:
        video.close()
    with pytest.raises(ValueError, match="closed"):
        video.process(image, 200)
    with Tracker(TrackerOptions(exercise="squat", running_mode=RunningMode.LIVE_STREAM,
                                **replay)) as live:
        assert live.process(image, 100) is not None
        assert live.process(image, 50) is None  # late camera frame: skipped
    assert live.record.exercises[0].sets[0].analysis.frames == 1


def test_importing_hepvision_loads_no_pipeline() -> None:
    code = ("import sys, hepvision; "
            "print(sorted(m for m in sys.modules if m.startswith('hepvision') "
            "or m in ('cv2', 'numpy', 'onnxruntime')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.strip() == "['hepvision']"
    assert "Tracker" in dir(hepvision)
    with pytest.raises(AttributeError):
        _ = hepvision.no_such_name  # type: ignore[attr-defined]
