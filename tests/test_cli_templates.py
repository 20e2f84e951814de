"""``hepvision templates list | show ID | validate [PATH]``."""

import json

from hepvision.cli.main import main
from hepvision.templates import exercises_dir, list_templates


def test_list_shows_every_template(capsys):
    assert main(["templates", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    ids = [line.split()[0] for line in lines]
    assert len(ids) == 30 and ids == list_templates()
    assert any(line.startswith("plank") and "hold 30 s" in line for line in lines)


def test_show_prints_the_validated_template(capsys):
    assert main(["templates", "show", "squat"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["id"] == "squat" and data["schema_version"] == 2
    assert data["counter"]["angle"] == "knee_flexion"
    assert {r["id"] for r in data["form"]} >= {"knee_valgus", "trunk_lean"}
    assert len(data["content_sha256"]) == 64


def test_show_unknown_id_is_one_line_and_exit_1(capsys):
    assert main(["templates", "show", "no_such_exercise"]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "unknown exercise template 'no_such_exercise'" in err


def test_validate_the_library(capsys):
    assert main(["templates", "validate"]) == 0
    assert "30/30 templates valid" in capsys.readouterr().err


def test_validate_a_bad_file_names_file_and_field(tmp_path, capsys):
    text = (exercises_dir() / "squat.toml").read_text()
    bad = tmp_path / "squat.toml"
    bad.write_text(text.replace("limit = 12", "limit = 999", 1))
    assert main(["templates", "validate", str(tmp_path)]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    error = [line for line in lines if "squat.toml" in line]
    assert len(error) == 1 and "field 'form.0.limit'" in error[0]
    assert lines[-1] == "0/1 templates valid"


def test_validate_one_file_with_an_unknown_key(tmp_path, capsys):
    bad = tmp_path / "bridge.toml"
    text = (exercises_dir() / "bridge.toml").read_text()
    bad.write_text(text.replace("schema_version = 2\n", "schema_version = 2\ncolour = 'red'\n"))
    assert main(["templates", "validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bridge.toml" in err and "field 'colour'" in err


def test_validate_rejects_a_rule_its_view_cannot_show(tmp_path, capsys):
    text = (exercises_dir() / "shoulder_press.toml").read_text()
    bad = tmp_path / "shoulder_press.toml"
    bad.write_text(text + '\n[[form]]\nid = "back_arch"\nkind = "min"\nsignal = "trunk_flexion"\n'
                   'limit = -12\ncue = "Keep your back straight."\n')
    assert main(["templates", "validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "shoulder_press.toml" in err and "'back_arch'" in err and "sagittal" in err
