"""A login flood against a real ``hepvision serve`` process, with /health and uploads timed
while it lasts: shared by benchmarks/login_flood.py (60 s, the issue's bar) and
tests/test_login_flood.py (shorter, asserts the lockout and that /health keeps answering).

The flood: ``threads`` clients posting wrong passwords for one account as fast as the server
answers. Meanwhile one client asks ``/health`` every 50 ms and one device uploads a session
every 250 ms (each timed). Afterwards a colleague sees the account locked and unlocks it, and
the owner logs in from their own desk (another loopback address, 127.0.0.2: the flood's address
is still throttled, by design).
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from tests.support.serve_process import ServeProcess
from tests.support.session_records import example_session_record

OWNER = "owner@clinic.example"
COLLEAGUE = "colleague@clinic.example"
PASSWORD = "the right password 123"
SECRET = "flood-secret-key-0123456789abcdef"


@dataclass
class FloodResult:
    seconds: float
    flood_codes: Counter[int] = field(default_factory=Counter)
    health_ms: list[float] = field(default_factory=list)
    health_errors: int = 0
    upload_ms: list[float] = field(default_factory=list)
    upload_codes: Counter[int] = field(default_factory=Counter)
    locked_seen: bool = False
    unlocked: bool = False
    owner_login_after: int = 0

    @staticmethod
    def p(values: list[float], q: float) -> float:
        if not values:
            return float("nan")
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(
            values) > 1 else values[0]

    def summary(self) -> dict[str, object]:
        return {
            "seconds": self.seconds, "flood_requests": sum(self.flood_codes.values()),
            "flood_codes": {str(k): v for k, v in sorted(self.flood_codes.items())},
            "health_requests": len(self.health_ms), "health_errors": self.health_errors,
            "health_p50_ms": round(self.p(self.health_ms, 50), 1),
            "health_p95_ms": round(self.p(self.health_ms, 95), 1),
            "health_max_ms": round(max(self.health_ms, default=float("nan")), 1),
            "uploads": len(self.upload_ms),
            "upload_codes": {str(k): v for k, v in sorted(self.upload_codes.items())},
            "upload_p50_ms": round(self.p(self.upload_ms, 50), 1),
            "upload_p95_ms": round(self.p(self.upload_ms, 95), 1),
            "upload_max_ms": round(max(self.upload_ms, default=float("nan")), 1),
            "account_locked": self.locked_seen, "unlocked": self.unlocked,
            "owner_login_after_unlock": self.owner_login_after,
        }


def seed(database_url: str, argon2: dict[str, str]) -> str:
    """Two therapists (the flood's target and a colleague) and a patient's device token."""
    from hepvision.server.app import create_app
    from hepvision.server.core.config import Settings
    from hepvision.server.data import accounts
    from hepvision.server.schemas import PatientCreate

    app = create_app(Settings(environment="development", database_url=database_url,
                              secret_key=SECRET, argon2_time_cost=int(argon2["time"]),
                              argon2_memory_kib=int(argon2["memory"])))
    sec = app.state.security
    try:
        with app.state.sessionmaker() as db:
            owner = accounts.create_therapist(db, sec, email=OWNER, password=PASSWORD)
            accounts.create_therapist(db, sec, email=COLLEAGUE, password=PASSWORD)
            _, code = accounts.create_patient(db, sec, owner, PatientCreate(display_name="P"),
                                              code_lifetime=timedelta(hours=1))
            token, _ = accounts.enrol_device(db, sec, code=code.token, label="flood")
        return token
    finally:
        app.state.engine.dispose()


def start_server(tmp: Path, argon2: dict[str, str]) -> tuple[ServeProcess, str]:
    url = f"sqlite:///{tmp / 'flood.db'}"
    device = seed(url, argon2)
    env = {"HEPVISION_DATABASE_URL": url, "HEPVISION_SECRET_KEY": SECRET,
           "HEPVISION_ENVIRONMENT": "development", "HEPVISION_HOME": str(tmp / "home"),
           "HEPVISION_ARGON2_TIME_COST": argon2["time"],
           "HEPVISION_ARGON2_MEMORY_KIB": argon2["memory"]}
    server = ServeProcess([], env, tmp / "serve.log")
    server.start()
    return server, device


def _loop(stop: threading.Event, period_s: float, work: callable) -> None:
    while not stop.is_set():
        t0 = time.perf_counter()
        work()
        stop.wait(max(0.0, period_s - (time.perf_counter() - t0)))


def flood(base: str, device_token: str, *, seconds: float, threads: int) -> FloodResult:
    result = FloodResult(seconds=seconds)
    stop = threading.Event()
    lock = threading.Lock()

    def attacker() -> None:
        with httpx.Client(base_url=base, timeout=30) as c:
            while not stop.is_set():
                r = c.post("/api/v1/auth/login", json={"email": OWNER, "password": "guess"})
                with lock:
                    result.flood_codes[r.status_code] += 1

    health = httpx.Client(base_url=base, timeout=30)
    device = httpx.Client(base_url=base, timeout=30,
                          headers={"Authorization": f"Bearer {device_token}"})

    def probe() -> None:
        t0 = time.perf_counter()
        try:
            ok = health.get("/api/v1/health").status_code == 200
        except httpx.HTTPError:
            ok = False
        result.health_ms.append((time.perf_counter() - t0) * 1000)
        result.health_errors += not ok

    def upload() -> None:
        record = example_session_record(started_at=datetime.now(UTC) - timedelta(minutes=5))
        t0 = time.perf_counter()
        r = device.post("/api/v1/patients/1/sessions", json=record)
        result.upload_ms.append((time.perf_counter() - t0) * 1000)
        result.upload_codes[r.status_code] += 1

    workers = [threading.Thread(target=attacker) for _ in range(threads)]
    workers += [threading.Thread(target=_loop, args=(stop, 0.05, probe)),
                threading.Thread(target=_loop, args=(stop, 0.25, upload))]
    for w in workers:
        w.start()
    time.sleep(seconds)
    stop.set()
    for w in workers:
        w.join()
    health.close()
    device.close()
    _unlock_and_login(base, result)
    return result


def _unlock_and_login(base: str, result: FloodResult) -> None:
    desk = httpx.HTTPTransport(local_address="127.0.0.2")  # not the flood's address
    with httpx.Client(base_url=base, timeout=30, transport=desk) as c:
        token = c.post("/api/v1/auth/login", json={"email": COLLEAGUE, "password": PASSWORD}
                       ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        locked = c.get("/api/v1/therapists/locked", headers=auth).json()
        result.locked_seen = [t["email"] for t in locked] == [OWNER]
        refused = c.post("/api/v1/auth/login", json={"email": OWNER, "password": PASSWORD})
        result.locked_seen = result.locked_seen and refused.status_code != 200
        if locked:
            r = c.post(f"/api/v1/therapists/{locked[0]['id']}/unlock", headers=auth)
            result.unlocked = r.status_code == 200 and r.json()["locked_at"] is None
        result.owner_login_after = c.post(
            "/api/v1/auth/login", json={"email": OWNER, "password": PASSWORD}).status_code
