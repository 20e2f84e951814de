"""The session record wire schema: bounds and strictness (the device's upload record is built
from the typed session record: tests/test_session_record.py)."""

from __future__ import annotations

import copy
import math
import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from hepvision.wire import SessionRecord
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
