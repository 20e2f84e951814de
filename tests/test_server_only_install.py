"""A clinic installs the therapist server without the pose stack (README: "Server-only install").

The slow test does what README says in a fresh virtual environment: ``pip install -r
requirements-server.txt`` then ``pip install --no-deps`` of this checkout (copied, so the
build leaves nothing in the work tree), checks that OpenCV, ONNX Runtime and MediaPipe are
absent and the command line and template library work, then starts ``hepvision serve`` and
asks it for ``/api/v1/health``. It needs PyPI
(the packages and the build backend); it takes about a minute.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements-server.txt"
#: What the server-only environment must not have (the pipeline's heavy dependencies).
ABSENT = ("cv2", "onnxruntime", "mediapipe")
#: Reported, not required: light pipeline dependencies and the fixtures that left the package.
ALSO_CHECKED = ("numpy", "scipy", "tqdm", "hepvision.app.fakecam", "hepvision.wire.examples",
                "hepvision._models.build_models")
PIPELINE_STACK = ("opencv-contrib-python", "onnxruntime", "mediapipe", "numpy", "scipy")


def _requirement_lines() -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in REQUIREMENTS.read_text().splitlines())
    return [line for line in lines if line]


def test_server_requirements_are_pyproject_dependencies_without_the_pose_stack() -> None:
    """One definition of each bound: the server's list is a subset of pyproject's."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    wanted = _requirement_lines()
    assert wanted and set(wanted) <= set(deps), set(wanted) - set(deps)
    assert not [r for r in wanted if r.startswith(PIPELINE_STACK)]


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}{done.stderr[-4000:]}"
    return done.stdout


def _copy_checkout(dest: Path) -> None:
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in ("pyproject.toml", "README.md", "requirements-server.txt"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("hepvision", "models", "exercises"):
        shutil.copytree(ROOT / name, dest / name, ignore=skip)


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HEPVISION_", "PYTHON", "VIRTUAL_ENV", "PIP_"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait_for_health(url: str, proc: subprocess.Popen[bytes], limit_s: float,
                     log: Path) -> dict[str, str]:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"hepvision serve exited: {log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 (loopback)
                return dict(json.loads(r.read()))
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"no answer from {url} within {limit_s} s: {log.read_text()[-4000:]}")


def _import_fails(python: Path, module: str, cwd: Path, env: dict[str, str]) -> bool:
    done = subprocess.run([str(python), "-c", f"import {module}"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)
    return done.returncode != 0 and "ModuleNotFoundError" in done.stderr


@pytest.mark.slow
def test_the_documented_server_only_install_runs_hepvision_serve(tmp_path: Path) -> None:
    t0 = time.monotonic()
    src = tmp_path / "src"
    src.mkdir()
    _copy_checkout(src)
    env = _clean_env()
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env, 120)
    pip, python = venv / "bin" / "pip", venv / "bin" / "python"
    _run([str(pip), "install", "-q", "-r", str(src / "requirements-server.txt")], src, env, 300)
    _run([str(pip), "install", "-q", "--no-deps", "."], src, env, 300)
    installed_s = time.monotonic() - t0

    absent = {m: _import_fails(python, m, tmp_path, env) for m in ABSENT + ALSO_CHECKED}
    assert all(absent[m] for m in ABSENT), absent
    hepvision = str(venv / "bin" / "hepvision")
    assert "serve" in _run([hepvision, "--help"], tmp_path, env, 60)  # every parser builds
    assert "squat" in _run([hepvision, "templates", "list"], tmp_path, env, 60)
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as err:
        serve = subprocess.Popen(
            [hepvision, "serve", "--port", str(port),
             "--database-url", f"sqlite:///{tmp_path / 'clinic.db'}"],
            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=err)
        try:
            health = _wait_for_health(f"http://127.0.0.1:{port}/api/v1/health", serve, 60,
                                      log)
        finally:
            _stop(serve)
    assert health["status"] == "ok" and health["database"] == "ok", health
    print(f"server-only install: {installed_s:.0f} s to install, "
          f"{time.monotonic() - t0:.0f} s in all; absent: "
          f"{', '.join(m for m, gone in absent.items() if gone)}")
