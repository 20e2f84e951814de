"""The patient's neutral (issue 13): a 3-second capture of the counted signal, stored as the
patient's override (and prescription field), ROM reported relative to it, the counter's rest
level starting from it, and carried in the uploaded record."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from hepvision.calibration.neutral import NeutralError, capture_neutral
from hepvision.cli.main import main
from hepvision.live.prescribed import prescribed_program
from hepvision.pose.recording import save_recording
from hepvision.reps.state_machine import CounterSettings, RepStateMachine
from hepvision.session.report import track_report
from hepvision.session.serialize import upload_record
from hepvision.session.track import TrackOptions, track
from hepvision.synthetic import NoiseModel, synthesize
from hepvision.templates import TemplateOverrides, apply_overrides, load_overrides, load_template
from hepvision.vocabulary import AngleName, Side
from hepvision.wire.prescription import Prescription


def test_neutral_from_three_seconds_of_standing():
    rec = synthesize("squat", reps=1, yaw_deg=90.0, noise=NoiseModel(), seed=4, setup_s=3.5)
    neutral = capture_neutral(list(rec.results), load_template("squat"))
    truth = float(rec.truth_deg[(AngleName.KNEE_FLEXION, Side.LEFT)][0])
    assert neutral.value == pytest.approx(truth, abs=2.0)
    assert neutral.frames >= 85 and neutral.measured >= 0.6 * neutral.frames
    assert set(neutral.sides) == {Side.LEFT, Side.RIGHT}


def test_moving_during_the_capture_is_refused():
    rec = synthesize("squat", reps=3, yaw_deg=90.0, seed=4, setup_s=0.5)
    with pytest.raises(NeutralError, match="moved .* hold still"):
        capture_neutral(list(rec.results), load_template("squat"))
    with pytest.raises(NeutralError, match="timed hold"):
        capture_neutral(list(rec.results), load_template("plank"))


def test_the_counters_rest_level_starts_from_the_neutral():
    plain = RepStateMachine(CounterSettings(30.0, 65.0, 5.0, 35.0))
    seeded = RepStateMachine(CounterSettings(30.0, 65.0, 5.0, 35.0, rest_level=32.0))
    assert plain.effective_start == 30.0
    assert seeded.effective_start == pytest.approx(32.0 + 2 * 5.0)
    # A falling signal (a bridge's hip flexion): rest 60 moves the start to 60 - 2 x 5.
    falling = RepStateMachine(CounterSettings(55.0, 20.0, 5.0, 25.0, rest_level=60.0))
    assert falling.effective_start == pytest.approx(50.0)
    low = RepStateMachine(CounterSettings(30.0, 65.0, 5.0, 35.0, rest_level=-5.0))
    assert low.effective_start == 30.0  # hyperextension: the template's start stands


def test_rom_relative_to_neutral_in_the_report_and_the_record(tmp_path: Path):
    rec = synthesize("squat", reps=2, yaw_deg=90.0, seed=4)
    npz = save_recording(tmp_path / "s.npz", rec.results, fps=30.0)
    template = apply_overrides(load_template("squat"), TemplateOverrides(neutral=-4.0))
    record = track(npz, TrackOptions(exercise=template, backend="replay"))
    report = track_report(record)
    assert report["reps"] == 2 and report["neutral"] == -4.0
    for rep in report["rep_details"]:
        assert rep["rom_peak_from_neutral"] == pytest.approx(rep["rom_peak_deg"] + 4.0, abs=0.01)
    assert upload_record(record).exercises[0].neutral_deg == -4.0
    plain = track_report(track(npz, TrackOptions(exercise="squat", backend="replay")))
    assert "neutral" not in plain and "rom_peak_from_neutral" not in plain["rep_details"][0]
    assert plain["reps"] == 2


def test_prescribed_neutral_reaches_the_template():
    rx = Prescription.model_validate({
        "patient_id": 1, "version": 3, "created_at": datetime.now(UTC).isoformat(),
        "exercises": [{"exercise_id": "squat", "sets": 1, "reps": 5,
                       "overrides": {"neutral_deg": 7.5}}]})
    assert prescribed_program(rx, date.today()).plans[0].template.target.neutral == 7.5


def test_cli_neutral_writes_overrides(tmp_path: Path, capsys):
    rec = synthesize("squat", reps=1, yaw_deg=90.0, noise=NoiseModel(), seed=5, setup_s=3.5)
    npz = save_recording(tmp_path / "n.npz", rec.results, fps=30.0)
    out = tmp_path / "neutral.toml"
    assert main(["calibrate", "neutral", "--video", str(npz), "--exercise", "squat",
                 "--out", str(out)]) == 0
    assert "neutral knee_flexion" in capsys.readouterr().err
    over = load_overrides(out)
    assert over.template == "squat" and over.neutral is not None
    moving = save_recording(tmp_path / "m.npz", synthesize(
        "squat", reps=3, yaw_deg=90.0, seed=4, setup_s=0.5).results, fps=30.0)
    assert main(["calibrate", "neutral", "--video", str(moving), "--exercise", "squat"]) == 1
    assert capsys.readouterr().err.startswith("hepvision: error: ")
