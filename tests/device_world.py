"""A therapist's server in process and a patient's device pointed at it (for device tests).

The device's commands run through ``main([...])`` unchanged; only ``HttpxTransport`` is
replaced by :class:`AppTransport`, which hands each request to the in-process server app.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hepvision.server.app import create_app
from hepvision.server.core.config import Settings
from hepvision.server.data import accounts
from hepvision.upload import transport as transport_module
from hepvision.upload.transport import Request, Response

EMAIL = "therapist@clinic.example"
PASSWORD = "correct horse battery"
API = "/api/v1"


class AppTransport:
    """A ``Transport`` into the in-process app (any host: only the path is used)."""

    def __init__(self, app: FastAPI) -> None:
        self.client = TestClient(app)
        self.paths: list[str] = []

    def request(self, request: Request, *, timeout_s: float) -> Response:
        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        self.paths.append(f"{request.method} {path}")
        r = self.client.request(request.method, path, headers=dict(request.headers),
                                content=request.content)
        return Response(r.status_code, r.content)

    def close(self) -> None:
        pass

    def __enter__(self) -> AppTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_server(tmp_path: Path) -> FastAPI:
    settings = Settings(environment="development", secret_key="k" * 32,
                        database_url=f"sqlite:///{tmp_path / 'server.db'}",
                        argon2_time_cost=1, argon2_memory_kib=8)
    app = create_app(settings, template_ids=lambda: {"squat"})
    with app.state.sessionmaker() as db:
        accounts.create_therapist(db, app.state.security, email=EMAIL, password=PASSWORD)
    return app


def point_device_at(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``HttpxTransport()`` the device's commands open goes to ``app``."""
    monkeypatch.setattr(transport_module, "HttpxTransport", lambda **_: AppTransport(app))


class Clinic:
    """The therapist's side: dashboard pages (for the enrolment QR) and the API."""

    def __init__(self, app: FastAPI) -> None:
        # https: the enrolment QR then names an https:// server, which the device accepts
        # without --insecure (plain http:// to another machine is refused since issue 15)
        self.client = TestClient(app, base_url="https://testserver")
        r = self.client.post(f"{API}/auth/login", json={"email": EMAIL, "password": PASSWORD})
        assert r.status_code == 200, r.text
        self.api = {"Authorization": f"Bearer {r.json()['access_token']}"}
        token = self._csrf(self.client.get("/login").text)
        r = self.client.post("/login", data={"csrf_token": token, "email": EMAIL,
                                             "password": PASSWORD, "next": "/patients"},
                             follow_redirects=False)
        assert r.status_code == 303, r.text
        self.csrf = self._csrf(self.client.get("/patients").text)

    @staticmethod
    def _csrf(page: str) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found is not None
        return found.group(1)

    @staticmethod
    def _invite(page: str) -> tuple[str, str]:
        """(the enrolment QR code's text, the bare code) shown on an enrolment page."""
        qr = re.search(r"<code>(hepvision://enrol\?[^<]+)</code>", page)
        code = re.search(r'id="enrolment-code">([^<]+)<', page)
        assert qr is not None and code is not None, page
        return html.unescape(qr.group(1)), code.group(1)

    def new_patient(self, name: str = "Pat") -> tuple[int, str, str]:
        """A new patient: (id, QR text, code) from the dashboard's enrolment page."""
        r = self.client.post("/patients/new", data={"csrf_token": self.csrf,
                                                    "display_name": name, "timezone": "UTC"})
        assert r.status_code == 200, r.text  # after the redirect to the code's page
        found = re.search(r'href="/patients/(\d+)/prescription"', r.text)
        assert found is not None, r.text
        return (int(found.group(1)), *self._invite(r.text))

    def new_code(self, patient_id: int) -> tuple[str, str]:
        r = self.client.post(f"/patients/{patient_id}/enrolment-code",
                             data={"csrf_token": self.csrf})
        assert r.status_code == 200, r.text
        return self._invite(r.text)

    def prescribe(self, patient_id: int, **exercise: object) -> int:
        body = {"exercises": [{"exercise_id": "squat", "sets": 2, "reps": 5, **exercise}]}
        r = self.client.post(f"{API}/patients/{patient_id}/prescriptions", json=body,
                             headers=self.api)
        assert r.status_code == 201, r.text
        return int(r.json()["version"])

    def revoke(self, patient_id: int) -> None:
        r = self.client.post(f"{API}/patients/{patient_id}/devices/revoke", headers=self.api)
        assert r.status_code == 200 and r.json()["revoked"] >= 1, r.text

    def sessions(self, patient_id: int) -> list[dict]:
        r = self.client.get(f"{API}/patients/{patient_id}/sessions", headers=self.api)
        assert r.status_code == 200, r.text
        return r.json()

    def alerts(self, patient_id: int) -> list[dict]:
        r = self.client.get(f"{API}/patients/{patient_id}/alerts", headers=self.api)
        assert r.status_code == 200, r.text
        return r.json()
