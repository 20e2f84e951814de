"""Templates: schema, loader, every bundled template valid."""

import hashlib

import pytest

from hepvision.errors import TemplateError
from hepvision.templates import (
    AngleCounter,
    DistanceCounter,
    HoldCounter,
    MeasureCounter,
    exercises_dir,
    list_templates,
    load_template,
    load_template_file,
)
from hepvision.vocabulary import Plane

REQUIRED = {"squat", "elbow_flexion", "shoulder_press", "shoulder_flexion", "jumping_jack",
            "shoulder_abduction", "push_up", "lunge", "heel_raise", "bridge"}

GOOD = """schema_version = 1
id = "{id}"
name = "Test"
instructions = "Do it."
view = "side"
side = "both"

[counter]
angle = "knee_flexion"
start_deg = 30.0
turn_deg = 65.0
min_amplitude_deg = 30.0
"""


def test_all_required_templates_load():
    ids = set(list_templates())
    assert REQUIRED <= ids
    for tid in ids:
        t = load_template(tid)
        assert t.id == tid and t.name and t.instructions
        raw = (exercises_dir() / f"{tid}.toml").read_bytes()
        assert t.content_sha256 == hashlib.sha256(raw).hexdigest()
        assert isinstance(t.counter, AngleCounter | DistanceCounter | MeasureCounter | HoldCounter)


def test_unknown_template():
    with pytest.raises(TemplateError, match="unknown exercise template"):
        load_template("no_such_exercise")


@pytest.mark.parametrize("edit,field", [
    (lambda s: s + "colour = 'red'\n", "colour"),
    (lambda s: s.replace('angle = "knee_flexion"', 'angle = "knee_wobble"'), "angle"),
    (lambda s: s.replace("turn_deg = 65.0", "turn_deg = 33.0"), "counter"),
    (lambda s: s.replace("schema_version = 1", "schema_version = 9"), "schema_version"),
    (lambda s: s.replace('side = "both"', 'side = "up"'), "side"),
    (lambda s: s.replace("start_deg = 30.0", "start_deg = 400.0"), "start_deg"),
])
def test_invalid_templates_name_file_and_field(tmp_path, edit, field):
    path = tmp_path / "bad.toml"
    path.write_text(edit(GOOD.format(id="bad")))
    with pytest.raises(TemplateError) as exc:
        load_template_file(path)
    assert "bad.toml" in str(exc.value) and field in str(exc.value)


def test_id_must_match_file_name(tmp_path):
    path = tmp_path / "one.toml"
    path.write_text(GOOD.format(id="two"))
    with pytest.raises(TemplateError, match="'id'"):
        load_template_file(path)


def test_distance_counter(tmp_path):
    text = GOOD.format(id="d").replace(
        'angle = "knee_flexion"\nstart_deg = 30.0\nturn_deg = 65.0\nmin_amplitude_deg = 30.0',
        'distance = "wrist_height"\nstart_ratio = 0.4\nturn_ratio = 0.9\n'
        'min_amplitude_ratio = 0.3')
    (tmp_path / "d.toml").write_text(text)
    t = load_template("d", tmp_path)
    assert t.signal_unit == "ratio" and t.signal_name == "wrist_height"


HOME_EXERCISES = ("lateral_lunge", "step_up", "side_lying_hip_abduction", "heel_slide",
                  "calf_raise_single_leg", "hamstring_curl_prone")
#: The plane a view cannot show (a sagittal angle from the front, a frontal one from the side).
BLIND_PLANE = {"front": Plane.SAGITTAL, "side": Plane.FRONTAL}


@pytest.mark.parametrize("tid", HOME_EXERCISES)
def test_home_exercise_templates_exist_and_validate(tid):
    assert tid in list_templates()
    t = load_template_file(exercises_dir() / f"{tid}.toml")
    assert t.id == tid and t.schema_version == 2 and t.view in ("front", "side")
    assert 2 <= len(t.form) <= 4 and all(r.cue for r in t.form)
    assert t.target.rom is not None and t.precautions.pain_stop_nrs <= 5 and t.precautions.notes
    assert t.progression and t.regression
    # Every rule reads a signal the template's view shows (advised views included).
    for r in t.form:
        plane = None if r.signal is None else r.signal.plane
        assert plane is None or plane is not BLIND_PLANE[t.view], (r.id, plane)
