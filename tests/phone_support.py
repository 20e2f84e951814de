"""Shared parts of the phone tests and benchmark: ``hepvision serve`` as a subprocess with one
therapist, a patient with a prescription and a fresh enrolment code, and Chromium with a
clip as its camera in mobile emulation (360x640, touch)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.serve_process import serve_with_therapist

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
    with serve_with_therapist(folder, secret=SECRET, email=EMAIL, password=PASSWORD) as (serve, _):
        yield Server(serve.base_url, folder)


def track_reps(video: Path, exercise: str) -> int:
    from hepvision.session.track import TrackOptions, track

    return track(video, TrackOptions(exercise=exercise)).total_reps
