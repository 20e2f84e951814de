"""Personal templates learned from a demonstration (issue 13): three clear repetitions set the
counter's thresholds, target ROM, tempo and hold; the rest of the same recording is counted
with them; a demonstration without three clear repetitions is refused with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from hepvision.analysis import ExerciseAnalyzer
from hepvision.calibration.demonstration import DemonstrationError
from hepvision.calibration.learn import TURN_SHARE, learn_template
from hepvision.calibration.overrides_file import overrides_toml
from hepvision.cli.main import main
from hepvision.pose.recording import save_recording
from hepvision.pose.types import PoseResult
from hepvision.synthetic import NoiseModel, synthesize
from hepvision.templates import (
    ExerciseTemplate,
    TemplateOverrides,
    apply_overrides,
    load_overrides,
    load_template,
)


def _count(results: list[PoseResult], template: ExerciseTemplate) -> int:
    analyzer = ExerciseAnalyzer(template)
    for r in results:
        analyzer.update(r)
    return analyzer.finish().reps


def _after(results: list[PoseResult], t_ms: int) -> list[PoseResult]:
    return [r for r in results if r.timestamp_ms > t_ms]


def test_synthetic_squat_learned_from_three_counts_the_rest():
    rec = synthesize("squat", reps=7, yaw_deg=90.0, noise=NoiseModel(), seed=5,
                     amplitude=0.7, hold_s=1.5)
    results = list(rec.results)
    learned = learn_template(results, load_template("squat"))
    # The three repetitions are the first three generated ones.
    assert all(r.start_ms < p < r.end_ms for r, p in zip(learned.reps, rec.rep_peak_ms[:3],
                                                          strict=True))
    c = learned.overrides.counter
    assert c is not None and c.start is not None and c.turn is not None
    # Commanded knee flexion 5 -> 5 + 0.7 * (95 - 5) = 68 deg: the target is the demonstrated
    # peak, the turn well inside it, the start clear of rest.
    truth = rec.truth_deg[("knee_flexion", "left")]
    peak, rest = float(truth.max()), float(truth.min())
    assert learned.overrides.target_rom == pytest.approx(peak, abs=6.0)
    assert rest + 5 < c.start < c.turn < peak - 10
    assert c.turn == pytest.approx(rest + TURN_SHARE * (peak - rest), abs=6.0)
    # The hold at the peak (1.5 s commanded) is learned as the prescribed hold.
    assert learned.overrides.dosage is not None
    assert learned.overrides.dosage.hold_s == pytest.approx(1.5, abs=0.5)
    rest_results = _after(results, learned.used_until_ms)
    assert _count(rest_results, learned.template) == 4


def test_shallow_patient_is_counted_only_with_the_learned_template():
    """A patient whose good squat reaches 45 deg: the library template (turn 65 deg) counts
    nothing; the template learned from three of their repetitions counts every one."""
    rec = synthesize("squat", reps=6, yaw_deg=90.0, noise=NoiseModel(), seed=2, amplitude=0.45)
    results = list(rec.results)
    base = load_template("squat")
    assert _count(results, base) == 0
    learned = learn_template(results, base)
    assert _count(_after(results, learned.used_until_ms), learned.template) == 3
    assert _count(results, learned.template) == 6


def test_falling_signal_bridge_thresholds_fall():
    rec = synthesize("bridge", reps=5, yaw_deg=90.0, noise=NoiseModel(), seed=1)
    learned = learn_template(list(rec.results), load_template("bridge"))
    c = learned.overrides.counter
    assert c is not None and c.start is not None and c.turn is not None
    assert c.turn < c.start  # hip flexion falls as the hips rise
    assert _count(_after(list(rec.results), learned.used_until_ms), learned.template) == 2


def test_two_repetitions_are_refused_with_the_reason():
    rec = synthesize("squat", reps=2, yaw_deg=90.0, noise=NoiseModel(), seed=3)
    with pytest.raises(DemonstrationError, match="only 2 clear repetitions .*need 3"):
        learn_template(list(rec.results), load_template("squat"))


def test_standing_still_is_refused():
    rec = synthesize("squat", reps=3, yaw_deg=90.0, noise=NoiseModel(), seed=3,
                     amplitude=0.02)
    with pytest.raises(DemonstrationError, match="no clear repetition|only"):
        learn_template(list(rec.results), load_template("squat"))


def test_hold_template_is_refused():
    rec = synthesize("squat", reps=3, yaw_deg=90.0, seed=3)
    with pytest.raises(DemonstrationError, match="timed hold"):
        learn_template(list(rec.results), load_template("plank"))


def test_overrides_toml_round_trips_and_versions_the_template():
    rec = synthesize("squat", reps=4, yaw_deg=90.0, noise=NoiseModel(), seed=4)
    learned = learn_template(list(rec.results), load_template("squat"))
    text = overrides_toml(learned.overrides, ["a comment"])
    assert text.startswith("# a comment\n") and "[counter]" in text
    back = TemplateOverrides.model_validate(__import__("tomllib").loads(text))
    assert back == learned.overrides
    t = apply_overrides(load_template("squat"), back)
    assert t.overrides_sha256 == learned.overrides.sha256() != ""
    assert t.content_sha256 != load_template("squat").content_sha256


def test_counter_override_on_a_hold_template_is_an_error():
    from hepvision.errors import TemplateError
    from hepvision.templates import CounterOverrides

    with pytest.raises(TemplateError, match="counter.*timed hold"):
        apply_overrides(load_template("plank"),
                        TemplateOverrides(counter=CounterOverrides(start=1.0)))


def test_cli_learns_from_a_recording_and_refuses_two(tmp_path: Path, capsys):
    good = save_recording(tmp_path / "demo.npz", synthesize(
        "squat", reps=3, yaw_deg=90.0, noise=NoiseModel(), seed=6).results, fps=30.0)
    out = tmp_path / "o" / "patient.toml"
    assert main(["template", "learn", str(good), "--exercise", "squat", "--out", str(out)]) == 0
    over = load_overrides(out)
    assert over.template == "squat" and over.counter is not None
    assert out.read_text().startswith("# Personal overrides of 'squat' learned from demo.npz")
    two = save_recording(tmp_path / "two.npz", synthesize(
        "squat", reps=2, yaw_deg=90.0, noise=NoiseModel(), seed=6).results, fps=30.0)
    capsys.readouterr()
    assert main(["template", "learn", str(two), "--exercise", "squat"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("hepvision: error: ") and "only 2 clear repetitions" in err
    assert main(["template", "learn", str(tmp_path / "none.mp4"), "--exercise", "squat"]) == 1
    assert "no such file" in capsys.readouterr().err


# --- real clips (../shared) -------------------------------------------------------------------

def _clip(shared_videos: Path, name: str) -> list[PoseResult]:
    from hepvision.evaluation.reps import cached_landmarks, default_cache_dir

    return list(cached_landmarks(shared_videos / name, "onnx", default_cache_dir()).results)


@pytest.mark.parametrize(("name", "template_id", "true_reps"), [
    ("squat_bodyweight_side_studio_juris.mp4", "squat", 8),
    ("bridge_side_be2018.mp4", "bridge", 5),
])
def test_real_clip_learned_from_first_three_counts_the_rest(shared_videos: Path, name: str,
                                                            template_id: str, true_reps: int):
    results = _clip(shared_videos, name)
    learned = learn_template(results, load_template(template_id))
    assert _count(_after(results, learned.used_until_ms), learned.template) == true_reps - 3
    assert _count(results, learned.template) == true_reps


def test_real_two_rep_clip_is_refused(shared_videos: Path):
    results = _clip(shared_videos, "squat_oblique_front_5fps_mediapipe_golden_tfjs.mp4")
    with pytest.raises(DemonstrationError, match="only 2 clear repetitions"):
        learn_template(results, load_template("squat"))
