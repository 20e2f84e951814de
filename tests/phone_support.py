"""Shared parts of the phone tests and benchmark: ``hepvision serve`` as a subprocess with one
therapist, a patient with a prescription and a fresh enrolment code, and Chromium with a
clip as its camera in mobile emulation (360x640, touch)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from hepvision.server.core.security import Security
from hepvision.server.data import accounts
from hepvision.server.database import make_engine, make_sessionmaker, upgrade_database

CHROMIUM = Path("/usr/bin/chromium")
SECRET = "phone-test-secret-0123456789abcdef"
EMAIL, PASSWORD = "pt@clinic.example", "correct horse battery"
MOBILE = {"viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True,
          "device_scale_factor": 2}
#: Chromium flags: fake camera, software WebGL (SwiftShader) for the GPU delegate.
BROWSER_ARGS = ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                "--no-sandbox", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--use-angle=swiftshader",
                "--enable-unsafe-swiftshader", "--autoplay-policy=no-user-gesture-required")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base: str
    folder: Path

    def api(self) -> httpx.Client:
        """A therapist's API client."""
        client = httpx.Client(base_url=f"{self.base}/api/v1", timeout=30)
        token = client.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
        token.raise_for_status()
        client.close()
        return httpx.Client(base_url=f"{self.base}/api/v1", timeout=30, headers={
            "Authorization": f"Bearer {token.json()['access_token']}"})

    def patient(self, name: str, exercise: str, *, sets: int = 1, reps: int = 60
                ) -> tuple[int, str]:
        """A new patient prescribed ``exercise``: (patient id, one-time enrolment code)."""
        with self.api() as api:
            r = api.post("/patients", json={"display_name": name})
            r.raise_for_status()
            pid, code = r.json()["id"], r.json()["enrolment"]["code"]
            api.post(f"/patients/{pid}/prescriptions", json={"exercises": [
                {"exercise_id": exercise, "sets": sets, "reps": reps}]}).raise_for_status()
        return pid, code

    def sessions(self, patient_id: int) -> list[dict[str, Any]]:
        with self.api() as api:
            rows = api.get(f"/patients/{patient_id}/sessions").json()
            return [api.get(f"/patients/{patient_id}/sessions/{r['session_id']}").json()
                    for r in rows]


@contextmanager
def run_server(folder: Path) -> Iterator[Server]:
    """``hepvision serve`` on a free port with one therapist."""
    db_url = f"sqlite:///{folder / 'server.db'}"
    engine = make_engine(db_url)
    upgrade_database(engine)
    with make_sessionmaker(engine)() as db:
        accounts.create_therapist(db, Security(SECRET, time_cost=1, memory_kib=8),
                                  email=EMAIL, password=PASSWORD, full_name="Dana Therapist")
    engine.dispose()
    port = free_port()
    env = {**os.environ, "HEPVISION_SECRET_KEY": SECRET, "HEPVISION_ARGON2_TIME_COST": "1",
           "HEPVISION_ARGON2_MEMORY_KIB": "8", "HEPVISION_ENVIRONMENT": "development",
           "HEPVISION_HOME": str(folder / "home")}
    log = folder / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "hepvision", "serve", "--database-url",
                                 db_url, "--port", str(port)], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/v1/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield Server(base, folder)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def track_reps(video: Path, exercise: str) -> int:
    from hepvision.session.track import TrackOptions, track

    return track(video, TrackOptions(exercise=exercise)).total_reps
