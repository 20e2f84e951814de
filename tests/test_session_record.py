"""One session record (issue 11): the same template on the same clip gives the same upload
record from ``track``, ``live --no-window`` and the browser page, field for field except the
timing fields; and what the upload record carries (sides, per-side ROM, source, confidence,
count check) is derived from the typed record in one place."""

from __future__ import annotations

import asyncio
import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from hepvision.app.config import AppSettings
from hepvision.app.protocol import FrameHeader, pack_frame
from hepvision.app.session import BrowserSession
from hepvision.cli.main import main
from hepvision.demo import DEMO_REPS, demo_recording_path
from hepvision.pose.recording import ReplayPoseEstimator
from hepvision.session.report import track_report
from hepvision.session.serialize import saved_session, upload_record, wire_part
from hepvision.session.track import TrackOptions, track
from hepvision.upload.device import DeviceConfig
from hepvision.upload.outbox import Outbox
from hepvision.wire.session import SessionRecord
from tests.support.demo_frames import demo_images, write_demo_frames

#: Fields that differ between two runs of one clip: the id, the wall-clock times.
TIMING_FIELDS = {"session_id", "started_at", "ended_at", "duration_s"}


def without_timing(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in TIMING_FIELDS}


@pytest.fixture(scope="module")
def demo_frames(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo_frames(tmp_path_factory.mktemp("demo") / "frames")


@pytest.fixture
def enrolled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An enrolled device (its server is never reached: sessions stay queued)."""
    home = tmp_path / "device"
    monkeypatch.setenv("HEPVISION_HOME", str(home))
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    DeviceConfig("http://127.0.0.1:9", "t" * 32, 1, since).save()
    return home


def queued() -> list[dict[str, Any]]:
    """The upload records in the outbox, oldest first."""
    with Outbox.default() as outbox:
        return [json.loads(item.record_json) for item in outbox.due(float("inf"))]


def source_args(frames: Path) -> list[str]:
    return ["--exercise", "squat", "--backend", "replay", "--landmarks",
            str(demo_recording_path())]


def browser_upload(frames: list[tuple[np.ndarray, int]], tmp_path: Path) -> dict[str, Any]:
    """The upload part of the session the browser page saves for ``frames``."""
    saved: list[dict[str, Any]] = []
    settings = AppSettings(out_dir=tmp_path / "app", exercise_ids=("squat",), sets=1, reps=0,
                           estimator_factory=lambda: ReplayPoseEstimator(demo_recording_path()),
                           on_saved=saved.append)
    ok, jpeg = cv2.imencode(".jpg", frames[0][0])
    assert ok

    async def run() -> None:
        page = BrowserSession(settings)
        await page.on_text(json.dumps({"type": "start", "exercise": "squat"}))
        await page.on_text(json.dumps({"type": "skip_pain"}))
        for seq, (_, ts) in enumerate(frames):
            header = FrameHeader(seq=seq, t_ms=1000.0 + ts, sent_ms=1002.0 + ts)
            (reply,) = await page.on_frame(pack_frame(header, jpeg.tobytes()))
            assert reply["type"] == "result", reply
        await page.on_text(json.dumps({"type": "source_ended"}))
        await page.on_text(json.dumps({"type": "skip_pain"}))
        await page.close()

    asyncio.run(run())
    (record,) = saved
    return SessionRecord.model_validate(wire_part(record)).model_dump(mode="json")


def test_track_live_and_the_page_upload_one_record(demo_frames: Path, enrolled: Path,
                                                   tmp_path: Path) -> None:
    assert main(["track", str(demo_frames), *source_args(demo_frames), "--no-progress",
                 "--out", str(tmp_path / "report.json")]) == 0
    assert main(["live", "--video", str(demo_frames), *source_args(demo_frames),
                 "--no-window", "--out", str(tmp_path / "session.json")]) == 0
    by_track, by_live = queued()
    by_page = browser_upload(demo_images(), tmp_path)

    assert without_timing(by_track) == without_timing(by_live) == without_timing(by_page)
    assert by_track["session_id"] != by_live["session_id"]
    # the fields the two paths used to disagree on, and what the record now carries
    (exercise,) = by_track["exercises"]
    assert exercise["side"] == "both" and exercise["angle_name"] == "knee_flexion"
    assert exercise["count_check"]["template_reps"] == DEMO_REPS
    (first_set,) = exercise["sets"]
    assert first_set["reps"] == DEMO_REPS and first_set["count_check"]["count_confidence"]
    for rep in first_set["repetitions"]:
        assert rep["side"] == "both" and rep["source"] in ("image", "world", "mixed")
        assert 0.0 < rep["confidence"] <= 1.0
        assert [s["side"] for s in rep["sides"]] == ["left", "right"]
        assert all(80 <= s["peak_deg"] <= 110 for s in rep["sides"])
    # the track report names the session it queued; the saved live session is its upload
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["session_id"] == by_track["session_id"] and report["reps"] == DEMO_REPS
    saved = json.loads((tmp_path / "session.json").read_text())
    assert wire_part(saved) == by_live


def test_track_and_live_agree_on_a_shared_clip(shared_videos: Path, enrolled: Path,
                                               tmp_path: Path) -> None:
    clip = shared_videos / "bicep_curl_side_kshitij.mp4"
    assert main(["track", str(clip), "--exercise", "elbow_flexion", "--no-progress",
                 "--out", str(tmp_path / "report.json")]) == 0
    assert main(["live", "--exercise", "elbow_flexion", "--video", str(clip), "--no-window",
                 "--out", str(tmp_path / "session.json")]) == 0
    by_track, by_live = queued()
    assert without_timing(by_track) == without_timing(by_live)
    assert by_track["exercises"][0]["model_sha256"]  # a model ran, and both name it


def test_the_typed_record_and_its_three_forms() -> None:
    record = track(demo_recording_path(), TrackOptions(exercise="squat", backend="replay"))
    assert record.total_reps == DEMO_REPS == len(record.repetitions)
    (exercise,) = record.exercises
    assert exercise.template.id == "squat" and exercise.view.startswith("side")
    assert record.media is not None and record.media.frames == 780
    assert record.duration_s == pytest.approx(26.0)
    upload = upload_record(record)
    assert upload.session_id == record.session_id and upload.prescription_version is None
    report = track_report(record)
    assert report["schema"] == "hepvision.track-report/1"
    assert report["rep_details"][0]["rom_peak_deg"] == upload.exercises[0].sets[0] \
        .repetitions[0].rom_peak_deg
    saved = saved_session(record)
    assert saved["reps"] == DEMO_REPS and saved["processed_frames"] == 780


def test_unmeasured_values_are_null_on_the_wire() -> None:
    import dataclasses

    record = track(demo_recording_path(), TrackOptions(exercise="squat", backend="replay"))
    exercise = record.exercises[0]
    s = exercise.sets[0]
    rep = dataclasses.replace(s.analysis.rep_details[0], rom_start_deg=math.nan,
                              confidence=math.nan)
    analysis = dataclasses.replace(s.analysis, rep_details=(rep,), reps=1)
    changed = dataclasses.replace(record, exercises=(dataclasses.replace(
        exercise, sets=(dataclasses.replace(s, analysis=analysis),)),))
    wire_rep = upload_record(changed).exercises[0].sets[0].repetitions[0]
    assert wire_rep.rom_start_deg is None and wire_rep.confidence is None
    assert wire_rep.rom_peak_deg is not None
