"""Deployment (issue 15): TLS, security headers, workers that die with their parent, the
offline /docs behind login in production, and the warnings of an exposed development server.

The process tests run the real ``hepvision serve`` on a loopback port.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from hepvision.cli.main import main
from hepvision.server.app import create_app
from hepvision.server.core.config import Settings
from hepvision.server.core.headers import API_CSP, DASHBOARD_CSP
from hepvision.server.data import accounts
from hepvision.server.web.docs import DOCS_CSP
from tests.support.serve_process import ServeProcess, free_port, self_signed_cert, trust

SECRET = "test-secret-key-0123456789abcdef"
PASSWORD = "correct horse battery"
VENDOR = Path(__file__).resolve().parents[1] / "hepvision/server/web/static/vendor/swagger-ui"


def _settings(tmp_path: Path, environment: str = "development") -> Settings:
    return Settings(environment=environment, database_url=f"sqlite:///{tmp_path / 'h.db'}",
                    secret_key=SECRET, argon2_time_cost=1,
                    argon2_memory_kib=8 if environment == "development" else 19456)


@pytest.fixture
def app(tmp_path):
    app = create_app(_settings(tmp_path), template_ids=lambda: {"squat"})
    yield app
    app.state.engine.dispose()


def test_every_response_carries_the_security_headers(app):
    client = TestClient(app)
    for path, csp in (("/api/v1/health", API_CSP), ("/api/v1/patients", API_CSP),
                      ("/login", None), ("/docs", DOCS_CSP), ("/no-such-page", API_CSP)):
        r = client.get(path, follow_redirects=False)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["referrer-policy"] == "same-origin", path
        assert r.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
        if csp:
            assert r.headers["content-security-policy"] == csp, path
        assert "strict-transport-security" not in r.headers, path
    assert "script-src 'self'" in TestClient(app).get("/login").headers[
        "content-security-policy"]
    https = TestClient(app, base_url="https://testserver")
    assert https.get("/api/v1/health").headers["strict-transport-security"].startswith(
        "max-age=")


def test_a_route_sets_its_own_policy_and_keeps_it(app):
    from fastapi.responses import HTMLResponse

    @app.get("/phone-test")
    def phone() -> HTMLResponse:
        return HTMLResponse("<p>phone</p>", headers={
            "Content-Security-Policy": "default-src 'none'"})

    r = TestClient(app).get("/phone-test")
    assert r.headers["content-security-policy"] == "default-src 'none'"
    assert r.headers["x-frame-options"] == "DENY"
    assert DASHBOARD_CSP != "default-src 'none'"


def test_docs_are_served_offline_from_vendored_files(app):
    client = TestClient(app)
    page = client.get("/docs").text
    assert "cdn" not in page.lower() and "https://" not in page
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        r = client.get(f"/static/vendor/swagger-ui/{asset}")
        assert r.status_code == 200 and r.content == (VENDOR / asset).read_bytes()
    assert client.get("/openapi.json").json()["info"]["title"]
    assert client.get("/redoc").status_code == 404


def test_docs_and_schema_need_a_login_in_production(tmp_path):
    app = create_app(_settings(tmp_path, "production"), template_ids=lambda: {"squat"})
    try:
        with app.state.sessionmaker() as db:
            accounts.create_therapist(db, app.state.security, email="t@example.org",
                                      password=PASSWORD)
        client = TestClient(app, base_url="https://testserver")
        r = client.get("/docs", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        assert client.get("/openapi.json").status_code == 401
        token = client.post("/api/v1/auth/login", json={
            "email": "t@example.org", "password": PASSWORD}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        assert client.get("/openapi.json", headers=auth).status_code == 200
        assert client.get("/docs", headers=auth).status_code == 200
    finally:
        app.state.engine.dispose()


def _env(tmp_path: Path) -> dict[str, str]:
    return {"HEPVISION_HOME": str(tmp_path / "home"), "HEPVISION_SECRET_KEY": SECRET,
            "HEPVISION_ENVIRONMENT": "development",
            "HEPVISION_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
            "HEPVISION_ARGON2_TIME_COST": "1", "HEPVISION_ARGON2_MEMORY_KIB": "8"}


def test_serve_with_tls(tmp_path):
    cert, key = self_signed_cert(tmp_path)
    server = ServeProcess(["--tls-cert", str(cert), "--tls-key", str(key)], _env(tmp_path),
                          tmp_path / "serve.log", scheme="https")
    server.start(verify=trust(cert))
    try:
        r = httpx.get(f"{server.base_url}/api/v1/health", verify=trust(cert))
        assert r.status_code == 200
        assert r.headers["strict-transport-security"].startswith("max-age=")
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{server.port}/api/v1/health", timeout=3)
    finally:
        server.stop()


@pytest.mark.parametrize("flags, message", [
    (["--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.pem"], "cannot read"),
    (["--tls-cert", "/etc/hostname"], "go together"),
    (["--workers", "0"], "at least 1"),
])
def test_serve_refuses_bad_flags_in_one_line(tmp_path, monkeypatch, capsys, flags, message):
    for name, value in _env(tmp_path).items():
        monkeypatch.setenv(name, value)
    assert main(["serve", *flags]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def _children(pid: int) -> set[int]:
    out = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.add(int(entry))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_workers_exit_when_serve_is_killed_and_a_restart_works(tmp_path):
    env, port = _env(tmp_path), free_port()
    server = ServeProcess(["--workers", "2"], env, tmp_path / "serve.log", port=port)
    server.start()
    assert server.proc is not None
    workers = _children(server.proc.pid)  # the 2 workers (and multiprocessing's helper)
    assert len(workers) >= 2, workers
    server.kill(signal.SIGKILL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.2)
    assert not any(_alive(p) for p in workers), "orphan workers still running"
    again = ServeProcess(["--workers", "2"], env, tmp_path / "serve2.log", port=port)
    again.start()
    try:
        assert httpx.get(f"{again.base_url}/api/v1/health").status_code == 200
    finally:
        again.stop()


def test_development_mode_off_loopback_warns_loudly(tmp_path, caplog):
    from hepvision.cli.server import _check_exposure

    settings = _settings(tmp_path)
    _check_exposure(settings, "0.0.0.0", tls=False)
    assert "WITHOUT the Secure flag" in caplog.text
    caplog.clear()
    _check_exposure(settings, "0.0.0.0", tls=True)
    _check_exposure(settings, "127.0.0.1", tls=False)
    assert caplog.text == ""


def test_scripts_carry_no_policy_that_would_bind_a_worker(app):
    r = TestClient(app).get("/static/docs.js")
    assert r.status_code == 200 and "content-security-policy" not in r.headers
    assert r.headers["x-content-type-options"] == "nosniff"
