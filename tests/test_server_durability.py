"""No loss, no duplicates: the real server (uvicorn subprocess) is killed and restarted while a
client process uploads, and the client itself is killed mid-upload. Afterwards the server holds
each of the N sessions exactly once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from hepvision.server.app import create_app
from hepvision.server.core.config import Settings
from hepvision.server.data import accounts
from hepvision.server.models import ExerciseSession, TransmissionDay
from hepvision.server.schemas import PatientCreate
from hepvision.upload.outbox import Outbox, enqueue_session
from tests.support.session_records import example_session_record

N_SESSIONS = 150
SECRET = "durability-secret-0123456789"

CLIENT = """
import sys
from hepvision.upload.client import ServerClient
from hepvision.upload.device import DeviceConfig
from hepvision.upload.outbox import Outbox
from hepvision.upload.sync import Backoff, sync
from hepvision.upload.transport import HttpxTransport
config = DeviceConfig.load()
with HttpxTransport() as transport, Outbox.default() as box:
    client = ServerClient(config.server_url, transport, token=config.device_token,
                          timeout_s=5)
    while True:
        report = sync(box, client, config.patient_id,
                      backoff=Backoff(base_s=0.05, cap_s=0.3, retries=400))
        if report.pending == 0:
            break
print(report)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory",
                 "hepvision.server.asgi:app_from_env", "--host", "127.0.0.1",
                 "--port", str(self.port), "--log-level", "warning"],
                env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/api/v1/health",
                             timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert self.proc.poll() is None, self.log.read_text()[-2000:]
            time.sleep(0.05)
        raise AssertionError("server did not start: " + self.log.read_text()[-2000:])

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


def test_kill_and_restart_loses_and_duplicates_nothing(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'server.db'}"
    home = tmp_path / "device"
    settings = Settings(environment="development", database_url=db_url, secret_key=SECRET,
                        argon2_time_cost=1, argon2_memory_kib=8)
    app = create_app(settings, template_ids=lambda: None)  # migrates the file
    with app.state.sessionmaker() as db:
        t = accounts.create_therapist(db, app.state.security, email="t@clinic.example",
                                      password="password123")
        _, code = accounts.create_patient(db, app.state.security, t,
                                          PatientCreate(display_name="P"),
                                          code_lifetime=timedelta(hours=1))
    env = {**os.environ, "HEPVISION_DATABASE_URL": db_url, "HEPVISION_SECRET_KEY": SECRET,
           "HEPVISION_ARGON2_TIME_COST": "1", "HEPVISION_ARGON2_MEMORY_KIB": "8",
           "HEPVISION_HOME": str(home), "PYTHONWARNINGS": "ignore"}
    port = _free_port()
    server = Server(env, port, tmp_path / "server.log")
    server.start()
    client_procs: list[subprocess.Popen] = []
    try:
        enrol = subprocess.run([sys.executable, "-m", "hepvision", "enroll", code.token,
                                "--server", f"http://127.0.0.1:{port}"], env=env,
                               capture_output=True, text=True, timeout=60)
        assert enrol.returncode == 0, enrol.stderr
        ids = set()
        for i in range(N_SESSIONS):
            record = example_session_record(peaks_deg=tuple(80.0 + (i + k) % 20
                                                            for k in range(12)), sets=3)
            assert enqueue_session(record, home=home)
            ids.add(record["session_id"])

        def start_client() -> subprocess.Popen:
            log = tmp_path / f"client-{len(client_procs)}.log"
            with open(log, "wb") as out:
                proc = subprocess.Popen([sys.executable, "-c", CLIENT], env=env, stdout=out,
                                        stderr=subprocess.STDOUT)
            client_procs.append(proc)
            return proc

        first = start_client()
        with Outbox.default(home) as box:  # kill it once uploads are under way
            deadline = time.monotonic() + 30
            while box.status().sent < 5 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert first.poll() is None, "the client finished before it could be killed"
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            sent_before_kill = box.status().sent
        assert 0 < sent_before_kill < N_SESSIONS, sent_before_kill
        second = start_client()
        for _ in range(3):
            time.sleep(0.4)
            server.kill()
            time.sleep(0.3)
            server.start()
        second.wait(60)
        assert second.returncode == 0, (tmp_path / "client-1.log").read_text()[-2000:]
        final = subprocess.run([sys.executable, "-c", CLIENT], env=env, capture_output=True,
                               text=True, timeout=60)
        assert final.returncode == 0 and "sent=0" in final.stdout, final.stdout + final.stderr
    finally:
        for proc in client_procs:
            if proc.poll() is None:
                proc.kill()
        server.kill()

    with app.state.sessionmaker() as db:
        stored = list(db.scalars(select(ExerciseSession.id)))
        ledger = db.scalar(select(func.count()).select_from(TransmissionDay))
    app.state.engine.dispose()
    assert len(stored) == N_SESSIONS and {str(s) for s in stored} == ids
    assert ledger == N_SESSIONS
    with Outbox.default(home) as box:
        status = box.status()
    assert (status.pending, status.sent, status.rejected) == (0, N_SESSIONS, 0)
