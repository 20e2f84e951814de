"""The pain stop: one name (``pain_stop_nrs``), from the template (or the therapist's override)
to the live session; the old spellings are read only at the file and JSON boundaries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hepvision.live.flow import FlowState, SessionFlow
from hepvision.live.program import ProgramError, load_program, template_plan
from hepvision.synthetic import VIEW_YAWS_DEG, synthesize
from hepvision.templates import TemplateOverrides, apply_overrides, load_template
from tests.support.databases import BACKENDS, fresh_database


def _feed(flow: SessionFlow) -> None:
    """A second of a synthetic squat into the set's analyzer."""
    recording = synthesize("squat", reps=1, yaw_deg=VIEW_YAWS_DEG["side"])
    for result in recording.results[:30]:
        assert flow.analyzer is not None
        flow.on_feedback(flow.analyzer.update(result))


@pytest.mark.parametrize("template_id", ["squat", "lunge", "straight_leg_raise"])
def test_a_live_plan_stops_at_the_templates_pain_stop(template_id: str) -> None:
    template = load_template(template_id)
    assert template.precautions.pain_stop_nrs == 5
    flow = SessionFlow((template_plan(template),))
    flow.rate_pain(4)  # below the stop: the first set begins
    assert flow.state is FlowState.ACTIVE
    _feed(flow)
    flow.rate_pain(5)  # at the template's stop (the old default was 7): the set ends
    assert flow.stopped_early and flow.state is FlowState.PAIN_AFTER
    assert "threshold 5" in (flow.stop_reason or "")


def test_pain_before_at_the_templates_stop_skips_the_exercise() -> None:
    flow = SessionFlow((template_plan(load_template("squat")),))
    flow.rate_pain(5)
    assert flow.stopped_early and not flow.finished


def test_a_therapists_override_reaches_the_plan() -> None:
    template = apply_overrides(load_template("squat"), TemplateOverrides(pain_stop_nrs=3))
    assert template_plan(template).pain_stop_nrs == 3


def _program(tmp_path: Path, line: str) -> Path:
    path = tmp_path / "program.toml"
    path.write_text(f'[[exercise]]\nid = "squat"\nsets = 1\n{line}\n', encoding="utf-8")
    return path


@pytest.mark.parametrize(("line", "expected"), [
    ("", 5),                    # the template's
    ("pain_stop_nrs = 6", 6),
    ("pain_stop = 7", 7),       # the key's name before issue 11, still read
])
def test_program_files_name_the_pain_stop_or_take_the_templates(
        tmp_path: Path, line: str, expected: int) -> None:
    (plan,) = load_program(_program(tmp_path, line))
    assert plan.pain_stop_nrs == expected


@pytest.mark.parametrize("line", ["pain_stop_nrs = 0", "pain_stop_nrs = 11", "pain_stopp = 5"])
def test_program_files_refuse_a_bad_pain_stop(tmp_path: Path, line: str) -> None:
    with pytest.raises(ProgramError):
        load_program(_program(tmp_path, line))


def test_the_server_reads_pain_stop_at_as_pain_stop_nrs() -> None:
    """API clients and prescriptions stored before issue 11 say ``pain_stop_at``."""
    from hepvision.server.schemas import PrescribedExercise

    old = PrescribedExercise.model_validate(
        {"exercise_id": "squat", "sets": 2, "reps": 5, "overrides": {"pain_stop_at": 4}})
    new = PrescribedExercise.model_validate(
        {"exercise_id": "squat", "sets": 2, "reps": 5, "overrides": {"pain_stop_nrs": 4}})
    assert old == new and old.overrides.pain_stop_nrs == 4
    assert old.model_dump(mode="json")["overrides"]["pain_stop_nrs"] == 4
    assert "pain_stop_at" not in old.model_dump(mode="json")["overrides"]


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_database(request.param, tmp_path, "hv_pain")


def test_migration_0003_renames_stored_pain_stops(empty_database_url: str) -> None:
    """Prescriptions stored as ``pain_stop_at`` read back as ``pain_stop_nrs`` (0 raised to
    the lowest stop, 1)."""
    from sqlalchemy import MetaData, insert

    from hepvision.server.data import prescriptions
    from hepvision.server.database import make_engine, make_sessionmaker, upgrade_database

    engine = make_engine(empty_database_url)
    upgrade_database(engine, "0002")
    meta = MetaData()
    meta.reflect(engine)
    now = datetime.now(UTC)
    body = {"exercises": [
        {"exercise_id": "squat", "sets": 2, "reps": 5, "overrides": {"pain_stop_at": 0}},
        {"exercise_id": "lunge", "sets": 2, "reps": 5, "overrides": {"pain_stop_at": 6}},
        {"exercise_id": "bridge", "sets": 2, "reps": 5, "overrides": {"pain_stop_at": None}},
    ], "precautions": [], "notes": ""}
    with engine.begin() as conn:
        conn.execute(insert(meta.tables["therapists"]).values(
            id=1, email="old@example.org", full_name="", password_hash="x", is_active=True,
            created_at=now))
        conn.execute(insert(meta.tables["patients"]).values(
            id=1, therapist_id=1, display_name="Pat", timezone="UTC", is_active=True,
            created_at=now))
        conn.execute(insert(meta.tables["prescriptions"]).values(
            id=1, patient_id=1, version=1, created_by=1, created_at=now, body=body))
    upgrade_database(engine)
    with make_sessionmaker(engine)() as db:
        row = prescriptions.current(db, 1)
        assert [e["overrides"] for e in row.body["exercises"]] == [
            {"pain_stop_nrs": 1}, {"pain_stop_nrs": 6}, {"pain_stop_nrs": None}]
        public = prescriptions.to_public(row)
        assert [e.overrides.pain_stop_nrs for e in public.exercises] == [1, 6, None]
    engine.dispose()
