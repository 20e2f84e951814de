"""A real ``hepvision serve`` process on a free loopback port, for tests and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def trust(cert: Path) -> ssl.SSLContext:
    """An SSL context that trusts exactly ``cert``."""
    return ssl.create_default_context(cafile=str(cert))


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 / localhost (openssl req)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


class ServeProcess:
    """``python -m hepvision serve ARGS`` with ``env``; its output goes to ``log``."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, *,
                 scheme: str = "http", port: int | None = None) -> None:
        self.port = port or free_port()
        self.args, self.env, self.log, self.scheme = args, env, log, scheme
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60, verify: bool | ssl.SSLContext = False) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "hepvision", "serve", "--host", "127.0.0.1",
                 "--port", str(self.port), *self.args],
                env={**os.environ, **self.env}, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/api/v1/health", timeout=2,
                             verify=verify).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                self.proc.wait()
                raise AssertionError("serve exited: " + self.log.read_text()[-3000:])
            time.sleep(0.1)
        self.kill()
        raise AssertionError("serve did not start: " + self.log.read_text()[-3000:])

    def kill(self, sig: int = signal.SIGKILL) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)
        self.proc.wait(20)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.kill(signal.SIGTERM)


@contextmanager
def serve_with_therapist(folder: Path, *, secret: str, email: str,
                         password: str) -> Iterator[tuple[ServeProcess, str]]:
    """``hepvision serve`` (development mode, fast argon2) on a new SQLite database in
    ``folder`` with one therapist: (the running process, the database URL); stopped after."""
    from hepvision.server.core.security import Security
    from hepvision.server.data import accounts
    from hepvision.server.database import make_engine, make_sessionmaker, upgrade_database

    db_url = f"sqlite:///{folder / 'server.db'}"
    engine = make_engine(db_url)
    upgrade_database(engine)
    with make_sessionmaker(engine)() as db:
        accounts.create_therapist(db, Security(secret, time_cost=1, memory_kib=8),
                                  email=email, password=password, full_name="Dana Therapist")
    engine.dispose()
    env = {"HEPVISION_SECRET_KEY": secret, "HEPVISION_ARGON2_TIME_COST": "1",
           "HEPVISION_ARGON2_MEMORY_KIB": "8", "HEPVISION_ENVIRONMENT": "development",
           "HEPVISION_HOME": str(folder / "home")}
    serve = ServeProcess(["--database-url", db_url], env, folder / "server.log")
    serve.start()
    try:
        yield serve, db_url
    finally:
        serve.stop()
