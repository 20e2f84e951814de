"""Every module of the app and phone packages imports on its own, first, in a fresh
interpreter: the two packages use each other (the phone's analysis builds the app's replies,
the app serves the phone's page), so an eager import at the wrong place is a circular import
that only shows when a program happens to import one of them first."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import hepvision.app
import hepvision.phone

MODULES = sorted(
    {pkg.__name__ for pkg in (hepvision.app, hepvision.phone)}
    | {m.name for pkg in (hepvision.app, hepvision.phone)
       for m in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + ".")})


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_first(module: str) -> None:
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
