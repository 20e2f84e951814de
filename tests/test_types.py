"""Type check of the package (issue 11 bar: mypy reports 0 errors in CI).

Runs ``python -m mypy`` from the repository root with the settings of ``[tool.mypy]`` in
pyproject.toml (the ``hepvision`` package, Python 3.11, default mode; mypy and the stub packages
come with the ``dev`` extra), so the README's test command is CI's type check too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_no_errors_in_the_package() -> None:
    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                          text=True, timeout=900, check=False)
    assert proc.returncode == 0, f"mypy found errors:\n{proc.stdout}{proc.stderr}"
    assert "Success: no issues found" in proc.stdout
