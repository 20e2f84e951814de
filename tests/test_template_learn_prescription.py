"""A learned personal template versioned with the prescription (issue 13): ``hepvision
template learn --patient`` adds a prescription version holding the thresholds; the device
applies them; the dashboard's prescription form shows and edits them."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import sessionmaker

from hepvision.analysis import ExerciseAnalyzer
from hepvision.calibration.learn import learn_template
from hepvision.calibration.prescribe import prescription_fields, with_learned
from hepvision.cli.main import main
from hepvision.errors import HepvisionError
from hepvision.live.prescribed import prescribed_program
from hepvision.pose.recording import save_recording
from hepvision.synthetic import NoiseModel, synthesize
from hepvision.templates import load_template
from hepvision.wire.prescription import Prescription

SECRET = "test-secret-key-0123456789abcdef"
PASSWORD = "correct horse battery"


def _shallow(reps: int, seed: int = 2):
    return synthesize("squat", reps=reps, yaw_deg=90.0, noise=NoiseModel(), seed=seed,
                      amplitude=0.45)


def test_fields_and_body_update():
    base = load_template("squat")
    learned = learn_template(list(_shallow(3).results), base)
    fields = prescription_fields(learned, base)
    c = learned.overrides.counter
    assert c is not None
    assert fields["counter_turn"] == c.turn and fields["counter_start"] == c.start
    assert fields["rom_limit"] == learned.overrides.rule_limits["incomplete_rom"]
    assert fields["min_rep_s"] == learned.overrides.rule_limits["too_fast"]
    assert fields["target_rom_deg"] == learned.overrides.target_rom
    body = {"exercises": [{"exercise_id": "squat", "sets": 3, "reps": 10,
                           "overrides": {"pain_stop_nrs": 6}}], "precautions": [], "notes": ""}
    out = with_learned(body, "squat", fields, 1.5)
    assert out["exercises"][0]["overrides"] == {"pain_stop_nrs": 6, **fields}
    assert out["exercises"][0]["hold_s"] == 1.5 and body["exercises"][0].get("hold_s") is None
    with pytest.raises(HepvisionError, match="no 'bridge'"):
        with_learned(body, "bridge", fields, None)


def test_device_applies_the_prescribed_personal_template():
    base = load_template("squat")
    demo = _shallow(3)
    fields = prescription_fields(learn_template(list(demo.results), base), base)
    rx = Prescription.model_validate({
        "patient_id": 1, "version": 2, "created_at": datetime.now(UTC).isoformat(),
        "exercises": [{"exercise_id": "squat", "sets": 1, "reps": 5, "overrides": fields}]})
    template = prescribed_program(rx, date.today()).plans[0].template
    assert template.counter.turn_deg == fields["counter_turn"]  # type: ignore[union-attr]
    assert {r.id: r.limit for r in template.form}["too_fast"] == fields["min_rep_s"]
    session = _shallow(5, seed=9).results
    for t, expected in ((base, 0), (template, 5)):
        a = ExerciseAnalyzer(t)
        for r in session:
            a.update(r)
        assert a.finish().reps == expected


def test_cli_learn_writes_a_prescription_version_the_dashboard_shows(tmp_path: Path,
                                                                     monkeypatch, capsys):
    from hepvision.server.data import accounts, prescriptions
    from hepvision.server.models import Patient
    from hepvision.server.schemas import PrescriptionCreate
    from hepvision.server.web.forms import form_from_prescription

    url = f"sqlite:///{tmp_path / 'server.db'}"
    monkeypatch.setenv("HEPVISION_SECRET_KEY", SECRET)
    monkeypatch.setenv("HEPVISION_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("HEPVISION_ARGON2_MEMORY_KIB", "8")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["therapist", "create", "pt@clinic.example", "--password-stdin",
                 "--database-url", url]) == 0
    assert main(["patient", "create", "--therapist", "pt@clinic.example", "Pat",
                 "--database-url", url]) == 0
    engine = create_engine(url)
    db_sessions = sessionmaker(engine)
    with db_sessions() as db:
        patient = db.scalars(select(Patient)).one()
        therapist = accounts.therapist_by_email(db, "pt@clinic.example")
        prescriptions.create_prescription(db, therapist, patient, PrescriptionCreate(
            exercises=[{"exercise_id": "squat", "sets": 3, "reps": 10,  # type: ignore[list-item]
                        "overrides": {"pain_stop_nrs": 6}}]))
        pid = patient.id
    demo = save_recording(tmp_path / "demo.npz", _shallow(3).results, fps=30.0)
    args = ["template", "learn", str(demo), "--exercise", "squat", "--patient", str(pid),
            "--database-url", url]
    assert main(args) == 1
    assert "--patient needs --therapist" in capsys.readouterr().err
    assert main([*args, "--therapist", "pt@clinic.example"]) == 0
    assert "prescription version 2 holds the personal squat template" in capsys.readouterr().err
    with db_sessions() as db:
        current = prescriptions.to_public(prescriptions.current(db, pid))
    over = current.exercises[0].overrides
    assert current.version == 2 and over.pain_stop_nrs == 6
    assert over.counter_turn is not None and over.counter_start is not None
    assert over.counter_start < over.counter_turn < (over.target_rom_deg or 0)
    row = form_from_prescription(current).rows[0]
    assert row.values["counter_turn"] == f"{over.counter_turn:g}"
    assert main(["template", "learn", str(demo), "--exercise", "bridge", "--patient",
                 str(pid), "--therapist", "pt@clinic.example", "--database-url", url]) == 1
    engine.dispose()
