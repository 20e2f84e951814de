"""The package lists every subpackage and ships its data."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "hepvision").rglob("*.py")
        if "__pycache__" not in p.parts and "migrations" not in p.parts
    }
    missing = {name for name in found if name not in listed}
    assert not missing, f"add to [tool.setuptools] packages: {sorted(missing)}"


def test_readme_opens_with_install_and_test_commands() -> None:
    text = (ROOT / "README.md").read_text()
    blocks = [b.split("```", 1)[0].strip() for b in text.split("```bash\n")[1:3]]
    assert "pip install" in blocks[0] and "hepvision demo" in blocks[0]
    assert "pytest" in blocks[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert blocks[1] in ci, ".ci/run must run exactly the README's test command"
