"""The server never imports the pipeline, and its template checks are never switched off.

Each import check runs in a fresh interpreter, so modules this test process already loaded
(the pipeline, for other tests) cannot hide an import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hepvision.server.api.main import API_PREFIX
from hepvision.server.app import create_app
from hepvision.server.core.config import Settings
from hepvision.server.data import accounts
from hepvision.server.data.prescriptions import known_template_ids
from hepvision.templates import list_templates

ROOT = Path(__file__).resolve().parents[1]
#: Top-level modules and hepvision stages the server must never load.
PIPELINE = ("cv2", "onnxruntime", "mediapipe", "hepvision.pose", "hepvision.capture",
            "hepvision.kinematics", "hepvision.analysis", "hepvision.filters",
            "hepvision.reps", "hepvision.form", "hepvision.session", "hepvision.live",
            "hepvision.app")
PASSWORD = "correct horse battery"

_PROBE = """
import json, sys
{code}
pipeline = {pipeline!r}
print(json.dumps(sorted(m for m in sys.modules
                        if any(m == p or m.startswith(p + ".") for p in pipeline))))
"""


def _pipeline_loaded_by(code: str, tmp_path: Path) -> list[str]:
    probe = _PROBE.format(code=code, pipeline=PIPELINE)
    env = {**os.environ, "HEPVISION_DATABASE_URL": f"sqlite:///{tmp_path / 'server.db'}",
           "HEPVISION_MIGRATE_ON_START": "1"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=180)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_server_app_imports_no_pipeline(tmp_path: Path) -> None:
    """Building the app, answering health and reading the template library."""
    code = """
from fastapi.testclient import TestClient
from hepvision.server.asgi import app_from_env
from hepvision.server.web.library import library
app = app_from_env()
with TestClient(app) as client:
    assert client.get("/api/v1/health").json()["status"] == "ok"
assert "squat" in app.state.template_ids()
assert library(None)["squat"].pain_stop_nrs == 5
"""
    assert _pipeline_loaded_by(code, tmp_path) == []


def test_serve_command_path_imports_no_pipeline(tmp_path: Path) -> None:
    """``hepvision serve`` parses its arguments, and reaches its handler, without the pipeline
    (the command line builds every subcommand's parser; handlers import lazily)."""
    code = """
import importlib
cli = importlib.import_module("hepvision.cli.main")
args = cli.build_parser().parse_args(["serve", "--port", "8765"])
assert args.handler.__module__ == "hepvision.cli.server", args.handler.__module__
import hepvision.cli.server, hepvision.server.asgi, uvicorn
"""
    assert _pipeline_loaded_by(code, tmp_path) == []


def test_the_template_library_is_the_servers_list_of_known_ids() -> None:
    ids = known_template_ids()
    assert ids is not None and set(ids) == set(list_templates()) and "squat" in ids


@pytest.fixture
def client(tmp_path: Path):
    settings = Settings(environment="development", database_url=f"sqlite:///{tmp_path}/s.db",
                        secret_key="test-secret-key-0123456789abcdef", argon2_time_cost=1,
                        argon2_memory_kib=8)
    app = create_app(settings)  # the real template library: no template_ids injected
    with TestClient(app) as c:
        yield c
    app.state.engine.dispose()


def test_a_prescription_naming_an_unknown_template_is_refused(client: TestClient) -> None:
    app = client.app
    with app.state.sessionmaker() as db:
        accounts.create_therapist(db, app.state.security, email="t@example.org",
                                  password=PASSWORD)
    token = client.post(f"{API_PREFIX}/auth/login",
                        json={"email": "t@example.org", "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    r = client.post(f"{API_PREFIX}/patients", json={"display_name": "Pat"}, headers=headers)
    assert r.status_code == 201, r.text
    url = f"{API_PREFIX}/patients/{r.json()['id']}/prescriptions"
    bad = client.post(url, headers=headers,
                      json={"exercises": [{"exercise_id": "no_such_exercise", "sets": 2,
                                           "reps": 5}]})
    assert bad.status_code == 422, bad.text
    assert "no_such_exercise" in bad.text
    good = client.post(url, headers=headers,
                       json={"exercises": [{"exercise_id": "squat", "sets": 2, "reps": 5}]})
    assert good.status_code == 201, good.text
