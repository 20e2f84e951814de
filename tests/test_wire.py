"""The session record wire schema: bounds, strictness, and the track-report helper."""

from __future__ import annotations

import copy
import math
import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from hepvision.wire import SessionRecord, session_record_from_track_report
from tests.support.session_records import example_session_record
from hepvision.wire.session import MAX_REPS_PER_SET, MAX_SETS


def test_example_record_is_valid_and_round_trips():
    raw = example_session_record()
    record = SessionRecord.model_validate(raw)
    assert record.total_reps == 10
    assert SessionRecord.model_validate_json(record.model_dump_json()) == record


@pytest.mark.parametrize("mutate, where", [
    (lambda r: r.update(extra_key=1), "extra_key"),
    (lambda r: r.update(schema_version="2"), "schema_version"),
    (lambda r: r.update(session_id="not-a-uuid"), "session_id"),
    (lambda r: r.update(started_at="2026-03-02T09:00:00"), "timezone"),
    (lambda r: r.update(pain_before=11), "pain_before"),
    (lambda r: r.update(exercises=[]), "exercises"),
    (lambda r: r["exercises"][0]["sets"][0].update(reps=MAX_REPS_PER_SET + 1), "reps"),
    (lambda r: r["exercises"][0].update(sets=r["exercises"][0]["sets"] * (MAX_SETS + 1)),
     "sets"),
    (lambda r: r["exercises"][0]["sets"][0]["repetitions"][0].update(peak_ms=10**9), "peak_ms"),
    (lambda r: r["exercises"][0]["sets"][0]["findings"][0].update(severity="fatal"),
     "severity"),
    (lambda r: r["exercises"][0].update(template_sha256="xyz"), "template_sha256"),
    (lambda r: r["exercises"][0].update(exercise_id="Squat Deep!"), "exercise_id"),
    (lambda r: r.update(app_version="v" * 33), "app_version"),
])
def test_invalid_records_are_refused(mutate, where):
    raw = copy.deepcopy(example_session_record())
    mutate(raw)
    with pytest.raises(ValidationError) as info:
        SessionRecord.model_validate(raw)
    assert where in str(info.value)


def test_rom_may_be_null_but_not_nan():
    raw = example_session_record()
    raw["exercises"][0]["sets"][0]["repetitions"][0]["rom_peak_deg"] = None
    assert SessionRecord.model_validate(raw).exercises[0].sets[0].repetitions[0].rom_peak_deg \
        is None
    raw["exercises"][0]["sets"][0]["repetitions"][0]["rom_peak_deg"] = math.nan
    with pytest.raises(ValidationError):
        SessionRecord.model_validate(raw)


def test_record_from_track_report():
    report = {
        "schema": "hepvision.track-report/1", "exercise": "squat", "reps": 2,
        "rep_details": [
            {"start_ms": 0, "peak_ms": 700, "end_ms": 1500, "rom_start_deg": 3.0,
             "rom_peak_deg": 91.5, "rom_range_deg": 88.5, "concentric_ms": 700,
             "eccentric_ms": 800, "hold_ms": 0, "side": "left"},
            {"start_ms": 1600, "peak_ms": 2300.4, "end_ms": 3100, "rom_start_deg": math.nan,
             "rom_peak_deg": 95.0, "rom_range_deg": None, "concentric_ms": 700,
             "eccentric_ms": 800, "hold_ms": 0, "side": "left"}],
        "partial_reps": [{"start_ms": 3200}], "duration_s": 4.0, "backend": "onnx",
        "versions": {"hepvision": "0.1.0", "models": {"pose": "c" * 64},
                     "template": {"id": "squat", "sha256": "d" * 64}},
        "frames": 120, "unrelated": {"kept": "out"},
    }
    started = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    sid = uuid.uuid4()
    record = session_record_from_track_report(report, started_at=started, session_id=sid,
                                              angle_name="knee_flexion", view="side")
    assert record.session_id == sid
    assert (record.ended_at - record.started_at).total_seconds() == 4.0
    ex = record.exercises[0]
    assert (ex.exercise_id, ex.angle_name, ex.template_sha256) == ("squat", "knee_flexion",
                                                                     "d" * 64)
    assert ex.model_sha256 == {"pose": "c" * 64}
    (s,) = ex.sets
    assert (s.reps, s.partial_reps, len(s.repetitions)) == (2, 1, 2)
    assert s.repetitions[1].rom_start_deg is None and s.repetitions[1].peak_ms == 2300


def test_record_from_track_report_needs_an_angle_name():
    report = {"exercise": "squat", "reps": 0, "rep_details": [], "duration_s": 1.0,
              "versions": {"hepvision": "0.1.0"}}
    with pytest.raises(ValidationError, match="angle_name"):
        session_record_from_track_report(report, started_at=datetime(2026, 1, 1, tzinfo=UTC))
