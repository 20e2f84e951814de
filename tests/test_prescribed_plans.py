"""The prescription as the session runs it: dosage, progression, the patient's overrides
applied to the template, and the version named; a prescription the device cannot run is one
line."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hepvision.errors import HepvisionError
from hepvision.live.prescribed import exercise_program, prescribed_program
from hepvision.live.program import ProgramError
from hepvision.server.schemas import PrescriptionPublic
from hepvision.templates import load_template
from hepvision.upload.prescription import prescription_path, read_prescription
from hepvision.vocabulary import AngleName
from hepvision.wire.prescription import Prescription

TODAY = date(2026, 3, 12)


def prescription(*exercises: dict[str, Any], version: int = 4,
                 days_ago: int = 10) -> Prescription:
    """A prescription as the server serves it (its own public schema, then read here)."""
    created = datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time(), UTC)
    served = PrescriptionPublic(patient_id=1, version=version, created_at=created,
                                created_by=1, exercises=list(exercises), precautions=[],
                                notes="")
    return Prescription.model_validate_json(served.model_dump_json())


def squat(**fields: Any) -> dict[str, Any]:
    return {"exercise_id": "squat", "sets": 2, "reps": 8, **fields}


def test_dosage_overrides_and_version_reach_the_plan() -> None:
    rx = prescription(squat(rest_s=45, side="left", overrides={
        "target_rom_deg": 95, "max_rom_deg": 100, "pain_stop_nrs": 3,
        "max_reps_per_set": 6}))
    program = prescribed_program(rx, TODAY)
    assert program.prescription_version == 4
    (plan,) = program.plans
    assert (plan.sets, plan.reps, plan.rest_s, plan.pain_stop_nrs) == (2, 6, 45.0, 3)
    t = plan.template
    assert t.target.rom == 95 and t.side == "left" and t.precautions.pain_stop_nrs == 3
    caps = [c for c in t.precautions.rom_caps if c.signal is AngleName.KNEE_FLEXION]
    assert [c.max for c in caps] == [100]
    base = load_template("squat")
    assert t.base_sha256 == base.content_sha256 and t.overrides_sha256
    assert t.content_sha256 != base.content_sha256


def test_progression_steps_apply_from_their_day() -> None:
    steps = [{"after_days": 7, "reps": 12}, {"after_days": 14, "sets": 4, "reps": 15}]
    (plan,) = prescribed_program(prescription(squat(progression=steps)), TODAY).plans
    assert (plan.sets, plan.reps) == (2, 12)  # day 10: the 7-day step, not the 14-day one
    (plan,) = prescribed_program(prescription(squat(progression=steps), days_ago=3),
                                 TODAY).plans
    assert (plan.sets, plan.reps) == (2, 8)


def test_no_overrides_keep_the_template_and_a_hold_gets_its_target() -> None:
    rx = prescription(squat(), {"exercise_id": "plank", "sets": 3, "reps": 2, "hold_s": 25})
    plain, plank = prescribed_program(rx, TODAY).plans
    assert plain.template == load_template("squat")  # nothing to override: the file's own
    assert plain.rest_s == load_template("squat").dosage.rest_s
    assert plank.template.counter.target_s == 25 and plank.hold_s == 25  # type: ignore[union-attr]


def test_a_picked_exercise_gets_the_patient_overrides_and_flags_win() -> None:
    rx = prescription(squat(overrides={"pain_stop_nrs": 2}))
    program = exercise_program(load_template("squat"), rx, TODAY, sets=1, reps=0)
    (plan,) = program.plans
    assert program.prescription_version == 4
    assert (plan.sets, plan.reps, plan.pain_stop_nrs) == (1, 0, 2)
    other = exercise_program(load_template("bridge"), rx, TODAY)
    assert other.prescription_version is None
    assert other.plans[0].template == load_template("bridge")


@pytest.mark.parametrize(("entry", "message"), [
    (squat(overrides={"target_rom_deg": 40}), "target.rom"),
    (squat(overrides={"max_rom_deg": 300}), "field 'max'"),
    ({"exercise_id": "no_such_exercise", "sets": 1, "reps": 1}, "update hepvision"),
])
def test_a_prescription_the_template_refuses_is_one_line(entry: dict[str, Any],
                                                        message: str) -> None:
    with pytest.raises(ProgramError) as info:
        prescribed_program(prescription(entry), TODAY)
    text = str(info.value)
    assert "prescription version 4" in text and message in text and "\n" not in text


def test_the_synced_copy_is_read_typed(tmp_path: Path) -> None:
    path = prescription_path(tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = json.loads(prescription(squat(overrides={"pain_stop_nrs": 4})).model_dump_json())
    raw["exercises"][0]["overrides"] = {"pain_stop_at": 4}  # its name before issue 11
    raw["a_field_a_newer_server_adds"] = True
    path.write_text(json.dumps(raw))
    rx = read_prescription(tmp_path)
    assert rx is not None and rx.version == 4
    assert rx.exercises[0].overrides.pain_stop_nrs == 4
    raw["exercises"][0]["sets"] = 0
    path.write_text(json.dumps(raw))
    with pytest.raises(HepvisionError, match=r"prescription version 4 cannot be run: "
                                             r"exercises\.0\.sets"):
        read_prescription(tmp_path)
