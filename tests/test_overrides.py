"""Per-patient overrides: a therapist's target and cap layered on a template, the cap judged as a
stop finding, bad overrides rejected naming file and field, both layers' hashes recorded."""

import hashlib

import pytest

from hepvision.analysis import ExerciseAnalyzer
from hepvision.errors import TemplateError
from hepvision.synthetic import NoiseModel, synthesize
from hepvision.templates import (
    DosageOverrides,
    RomCap,
    TemplateOverrides,
    apply_overrides,
    load_overrides,
    load_template,
)


def _analyse(template, seed=3):
    rec = synthesize("squat", reps=2, yaw_deg=90.0, noise=NoiseModel(), seed=seed)
    a = ExerciseAnalyzer(template)
    feedback = [a.update(r) for r in rec.results]
    return a.finish(), feedback


def test_override_changes_target_cap_and_dosage_without_touching_the_base():
    base = load_template("squat")
    over = TemplateOverrides(target_rom=75.0, dosage=DosageOverrides(reps=6, per_week=3),
                             rom_caps=(RomCap(signal="knee_flexion", max=70.0),))
    t = apply_overrides(base, over)
    assert t.target.rom == 75.0 and base.target.rom == 90.0
    assert [(c.signal.value, c.max) for c in t.precautions.rom_caps] == [("knee_flexion", 70.0)]
    assert t.dosage.reps == 6 and t.dosage.per_week == 3 and t.dosage.per_day is None
    assert base.precautions.rom_caps == ()


def test_cap_from_an_override_is_a_stop_finding_with_its_limit():
    base = load_template("squat")
    capped = apply_overrides(base, TemplateOverrides(
        rom_caps=(RomCap(signal="knee_flexion", max=70.0, cue="Stop at the range set."),)))
    res, feedback = _analyse(capped)
    caps = [f for f in res.findings if f.rule_id.startswith("precaution_knee_flexion_max")]
    # One episode per knee per squat that went past 70 deg (95 deg commanded).
    assert res.reps == 2
    assert sorted((f.rep_index, f.side) for f in caps) == [
        (0, "left"), (0, "right"), (1, "left"), (1, "right")]
    assert all(f.severity == "stop" and f.limit == 70.0 and f.value > 70.0 for f in caps)
    assert "Stop at the range set." in [fb.cue for fb in feedback]
    res_base, _ = _analyse(base)
    assert not any(f.rule_id.startswith("precaution_") for f in res_base.findings)


def test_hashes_record_both_layers():
    base = load_template("squat")
    over = TemplateOverrides(target_rom=80.0)
    t = apply_overrides(base, over)
    assert t.base_sha256 == base.content_sha256 and t.overrides_sha256 == over.sha256()
    expected = hashlib.sha256(f"{base.content_sha256}:{over.sha256()}".encode()).hexdigest()
    assert t.content_sha256 == expected != base.content_sha256
    other = apply_overrides(base, TemplateOverrides(target_rom=85.0))
    assert other.content_sha256 != t.content_sha256
    assert apply_overrides(base, TemplateOverrides(target_rom=80.0)).content_sha256 == expected
    res, _ = _analyse(t)
    assert (res.template_sha256, res.template_base_sha256, res.overrides_sha256) == (
        t.content_sha256, base.content_sha256, over.sha256())
    plain, _ = _analyse(base)
    assert plain.template_base_sha256 == base.content_sha256 and plain.overrides_sha256 == ""


def test_overrides_file_is_loaded_and_applied(tmp_path):
    path = tmp_path / "patient7.toml"
    path.write_text('template = "mini_squat"\ntarget_rom = 40\n'
                    'rom_caps = [{ signal = "knee_flexion", max = 60 }]\n[dosage]\nreps = 8\n')
    over = load_overrides(path)
    t = apply_overrides(load_template("mini_squat"), over, source=path)
    assert t.target.rom == 40 and t.dosage.reps == 8 and t.precautions.rom_caps[0].max == 60


@pytest.mark.parametrize("text,field", [
    ("colour = 'red'\n", "colour"),
    ("target_rom = 999\n", "target_rom"),
    ("pain_stop_nrs = 11\n", "pain_stop_nrs"),
    ("[dosage]\nreps = 0\n", "dosage.reps"),
    ("[dosage]\nfrequency = 2\n", "dosage.frequency"),
    ("rom_caps = [{ signal = 'knee_wobble', max = 60 }]\n", "rom_caps.0.signal"),
    ('side = "up"\n', "side"),
])
def test_bad_overrides_file_names_file_and_field(tmp_path, text, field):
    path = tmp_path / "bad_overrides.toml"
    path.write_text(text)
    with pytest.raises(TemplateError) as exc:
        load_overrides(path)
    msg = str(exc.value)
    assert "bad_overrides.toml" in msg and f"field '{field}'" in msg and "\n" not in msg


@pytest.mark.parametrize("over,field", [
    (TemplateOverrides(rule_limits={"no_such_rule": 3.0}), "rule_limits"),
    (TemplateOverrides(hold_target_s=20.0), "hold_target_s"),
    (TemplateOverrides(template="plank"), "template"),
    (TemplateOverrides(target_rom=50.0), "target.rom"),  # not beyond the counter's turn (65)
])
def test_overrides_that_do_not_fit_the_template_are_rejected(over, field):
    with pytest.raises(TemplateError) as exc:
        apply_overrides(load_template("squat"), over, source="patient7.toml")
    msg = str(exc.value)
    assert msg.startswith("patient7.toml: template 'squat'") and field in msg
