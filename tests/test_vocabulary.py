"""One vocabulary: each shared word defined once, in a module that imports only the stdlib."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from hepvision import vocabulary as v
from hepvision.errors import TemplateError
from hepvision.templates import exercises_dir, load_template_file

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = ("numpy", "scipy", "cv2", "onnxruntime", "mediapipe", "hepvision.pose",
            "hepvision.capture", "hepvision.kinematics", "hepvision.analysis")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _loaded_after(code: str) -> set[str]:
    """Modules of PIPELINE loaded by ``code`` in a fresh interpreter."""
    probe = (f"{code}\nimport sys\n"
             f"print('\\n'.join(m for m in sys.modules if m.split('.')[0] in {PIPELINE!r} "
             f"or m.startswith({PIPELINE!r})))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=ROOT, timeout=120).stdout
    return {line for line in out.splitlines() if line}


def test_vocabulary_imports_only_the_standard_library() -> None:
    modules = _imported_modules(ROOT / "hepvision" / "vocabulary.py")
    foreign = {m for m in modules
               if m != "__future__" and m.split(".")[0] not in sys.stdlib_module_names}
    assert modules and not foreign


@pytest.mark.parametrize("module", ["hepvision.templates.schema", "hepvision.templates.overrides",
                                    "hepvision.templates.loader", "hepvision.templates.counters",
                                    "hepvision.templates.sections", "hepvision.templates.fields"])
def test_template_schema_imports_only_vocabulary_pydantic_and_stdlib(module: str) -> None:
    path = ROOT / Path(*module.split(".")).with_suffix(".py")
    allowed = {"hepvision.vocabulary", "hepvision.errors", "pydantic"}
    for name in _imported_modules(path):
        top = name.split(".")[0]
        assert (name == "__future__" or top in sys.stdlib_module_names or top == "pydantic"
                or name in allowed or name.startswith("hepvision.templates")), name


def test_loading_a_template_does_not_import_the_pipeline() -> None:
    loaded = _loaded_after("from hepvision.templates import load_template\n"
                           "load_template('squat')")
    assert loaded == set()


def test_old_homes_re_export_the_same_objects() -> None:
    from hepvision.kinematics import AngleName, DistanceName, MeasureName, Plane, Side, View
    from hepvision.kinematics.definitions import Unmeasurable
    from hepvision.pose import PoseLandmark
    from hepvision.pose.factory import BACKENDS

    assert (AngleName, DistanceName, MeasureName, Plane, Side, View, Unmeasurable,
            PoseLandmark) == (v.AngleName, v.DistanceName, v.MeasureName, v.Plane, v.Side,
                              v.View, v.Unmeasurable, v.PoseLandmark)
    assert BACKENDS == ("onnx", "mediapipe", "replay")


def test_words_are_their_string_values() -> None:
    """Templates, JSON and database columns hold plain values; members format as them."""
    assert v.Severity("caution") is v.Severity.CAUTION
    assert f"{v.TemplateView.FRONT:<7}|" == "front  |"
    assert {"knee_flexion": 1}[v.AngleName.KNEE_FLEXION] == 1
    assert [s.value for s in v.Severity] == ["info", "caution", "stop"]
    assert v.MeasureName.SHOULDER_ELEVATION.unit is v.Unit.M
    assert v.PAIN_NRS_MIN <= v.PAIN_STOP_NRS_MIN <= v.DEFAULT_PAIN_STOP_NRS <= v.PAIN_NRS_MAX


def test_template_side_either_is_accepted_and_unknown_sides_are_not(tmp_path: Path) -> None:
    text = (exercises_dir() / "squat.toml").read_text(encoding="utf-8")
    assert '\nside = "both"\n' in text
    either = text.replace('\nside = "both"\n', '\nside = "either"\n', 1)
    (tmp_path / "squat.toml").write_text(either)
    assert load_template_file(tmp_path / "squat.toml").side is v.TemplateSide.EITHER
    (tmp_path / "squat.toml").write_text(either.replace('"either"', '"neither"', 1))
    with pytest.raises(TemplateError, match="side"):
        load_template_file(tmp_path / "squat.toml")
