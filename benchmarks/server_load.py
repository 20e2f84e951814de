"""Server load: session uploads per second and ROM-trend p95 latency with 100k stored sessions.

Loopback only. For each database (SQLite file; PostgreSQL when ``--postgres-url`` or
``HEPVISION_TEST_POSTGRES_URL`` is given) it:

1. migrates a fresh database and bulk-seeds ``--sessions`` sessions (default 100,000) spread
   over ``--patients`` patients straight into the tables (fast, not through HTTP);
2. starts ``uvicorn`` with the real app on 127.0.0.1 (``--workers`` processes);
3. uploads new sessions from ``--threads`` device clients (httpx) for at most ``--uploads``
   requests or ``--seconds`` seconds, and reports uploads per second;
4. asks ``GET /patients/{id}/rom-trend`` for random patients, one request at a time, for at
   most ``--queries`` requests or ``--seconds`` seconds, and reports p50 / p95 latency.

Prints a table and writes ``benchmarks/results/server_load.json``.

    python -m benchmarks.server_load                      # SQLite, + PostgreSQL if the env is set
    eval "$(bash .ci/postgres.sh)"; python -m benchmarks.server_load --sessions 100000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, make_url, text

from hepvision.server.app import create_app
from hepvision.server.core.config import Settings
from hepvision.server.data import accounts, sessions as session_data
from hepvision.server.models import ExerciseSession, SessionExercise, TransmissionDay
from hepvision.server.schemas import PatientCreate
from tests.support.session_records import example_session_record
from hepvision.wire.session import SessionRecord

SECRET = "benchmark-secret-0123456789abcdef"
RESULTS = Path(__file__).resolve().parent / "results" / "server_load.json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fresh_postgres(url: str) -> tuple[str, callable]:
    base = make_url(url)
    name = f"hv_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def seed(settings: Settings, n_sessions: int, n_patients: int) -> tuple[list[int], list[str]]:
    """Therapist, patients with device tokens, and ``n_sessions`` sessions inserted in bulk."""
    app = create_app(settings, template_ids=lambda: None)
    sec = app.state.security
    tokens: list[str] = []
    patient_ids: list[int] = []
    with app.state.sessionmaker() as db:
        t = accounts.create_therapist(db, sec, email="bench@clinic.example",
                                      password="benchmark-password")
        for i in range(n_patients):
            p, code = accounts.create_patient(db, sec, t, PatientCreate(display_name=f"P{i}"),
                                              code_lifetime=timedelta(hours=1))
            token, _ = accounts.enrol_device(db, sec, code=code.token, label="bench")
            tokens.append(token)
            patient_ids.append(p.id)
    start = datetime(2025, 1, 1, 8, tzinfo=UTC)
    template = SessionRecord.model_validate(example_session_record(peaks_deg=(90.0, 92.0),
                                                                   sets=1, findings=1))
    batch = 5000
    t0 = time.perf_counter()
    with app.state.engine.begin() as conn:
        for lo in range(0, n_sessions, batch):
            s_rows, e_rows, l_rows = [], [], []
            for k in range(lo, min(n_sessions, lo + batch)):
                pid = patient_ids[k % n_patients]
                when = start + timedelta(hours=6 * (k // n_patients))
                sid = uuid.uuid4()
                record = template.model_copy(update={"session_id": sid, "started_at": when,
                                                     "ended_at": when + timedelta(minutes=4)})
                rom = 80.0 + (k % 30)
                s_rows.append(dict(id=sid, patient_id=pid, prescription_version=None,
                                   started_at=when, ended_at=record.ended_at, day=when.date(),
                                   duration_s=240.0, pain_before=2, pain_after=3,
                                   stopped_early=False, total_reps=2, app_version="0.1.0",
                                   received_at=when, record_digest="0" * 64,
                                   record=record.model_dump(mode="json")))
                e_rows.append(dict(session_id=sid, patient_id=pid, started_at=when,
                                   day=when.date(), position=0, exercise_id="squat",
                                   angle_name="knee_flexion", side="both", view="side",
                                   sets_done=1, reps_done=2, partial_reps=0, rom_best_deg=rom,
                                   rom_median_deg=rom - 2, hold_s=0.0, findings_info=0,
                                   findings_caution=1, findings_stop=0,
                                   findings_by_rule={"knee_valgus": 1}))
                l_rows.append(dict(patient_id=pid, day=when.date(), received_at=when,
                                   source=session_data.LEDGER_SOURCE, session_id=sid))
            conn.execute(insert(ExerciseSession), s_rows)
            conn.execute(insert(SessionExercise), e_rows)
            conn.execute(insert(TransmissionDay), l_rows)
    seed_s = time.perf_counter() - t0
    if app.state.engine.dialect.name == "postgresql":
        with app.state.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    app.state.engine.dispose()
    print(f"  seeded {n_sessions} sessions in {seed_s:.1f} s", file=sys.stderr)
    return patient_ids, tokens


def run_backend(name: str, url: str, args: argparse.Namespace) -> dict:
    settings = Settings(environment="production", database_url=url, secret_key=SECRET)
    print(f"[{name}] seeding", file=sys.stderr)
    patient_ids, tokens = seed(settings, args.sessions, args.patients)
    port = _free_port()
    env = {**os.environ, "HEPVISION_DATABASE_URL": url, "HEPVISION_SECRET_KEY": SECRET,
           "HEPVISION_ENVIRONMENT": "production"}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "hepvision.server.asgi:app_from_env",
           "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
           "--workers", str(args.workers)]
    server = subprocess.Popen(cmd, env=env)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("server did not start")
            time.sleep(0.1)
        with httpx.Client(base_url=base) as c:
            login = c.post("/auth/login", json={"email": "bench@clinic.example",
                                                "password": "benchmark-password"})
            therapist = {"Authorization": f"Bearer {login.json()['access_token']}"}

        # Uploads: each thread is one patient's device.
        lock = threading.Lock()
        done = {"ok": 0, "err": 0}
        stop_at = time.monotonic() + args.seconds
        per_thread = args.uploads // args.threads

        def device(i: int) -> None:
            pid, token = patient_ids[i], tokens[i]
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
                for _ in range(per_thread):
                    if time.monotonic() > stop_at:
                        return
                    body = json.dumps(example_session_record(
                        started_at=datetime.now(UTC), peaks_deg=(85.0, 90.0, 95.0, 92.0),
                        sets=2))
                    r = c.post(f"/patients/{pid}/sessions", content=body)
                    with lock:
                        done["ok" if r.status_code == 201 else "err"] += 1

        threads = [threading.Thread(target=device, args=(i,)) for i in range(args.threads)]
        t0 = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        upload_s = time.perf_counter() - t0

        # Trend queries, one at a time.
        rng = random.Random(0)
        latencies = []
        stop_at = time.monotonic() + args.seconds
        with httpx.Client(base_url=base, headers=therapist, timeout=30) as c:
            for _ in range(args.queries):
                if time.monotonic() > stop_at:
                    break
                pid = rng.choice(patient_ids)
                q0 = time.perf_counter()
                r = c.get(f"/patients/{pid}/rom-trend",
                          params={"exercise_id": "squat", "angle_name": "knee_flexion"})
                latencies.append((time.perf_counter() - q0) * 1000)
                assert r.status_code == 200 and r.json(), r.text[:200]
        points = len(r.json())
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
    latencies.sort()
    return {
        "database": name, "stored_sessions": args.sessions, "patients": args.patients,
        "workers": args.workers, "upload_threads": args.threads,
        "uploads_ok": done["ok"], "uploads_failed": done["err"],
        "uploads_per_s": round(done["ok"] / upload_s, 1),
        "trend_queries": len(latencies), "trend_points_per_query": points,
        "trend_p50_ms": round(statistics.median(latencies), 2),
        "trend_p95_ms": round(latencies[min(len(latencies) - 1,
                                            int(0.95 * len(latencies)))], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--uploads", type=int, default=2000, help="at most this many uploads")
    parser.add_argument("--queries", type=int, default=500, help="at most this many queries")
    parser.add_argument("--seconds", type=float, default=60.0, help="time cap per phase")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres-url", default=os.environ.get("HEPVISION_TEST_POSTGRES_URL"))
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    args.threads = min(args.threads, args.patients)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(run_backend("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args))
    if args.postgres_url:
        url, drop = _fresh_postgres(args.postgres_url)
        try:
            rows.append(run_backend("postgresql", url, args))
        finally:
            drop()
    else:
        print("PostgreSQL skipped: no --postgres-url / HEPVISION_TEST_POSTGRES_URL",
              file=sys.stderr)

    print(f"{'database':<11}{'stored':>9}{'uploads/s':>11}{'failed':>8}{'trend p50 ms':>14}"
          f"{'trend p95 ms':>14}")
    for r in rows:
        print(f"{r['database']:<11}{r['stored_sessions']:>9}{r['uploads_per_s']:>11}"
              f"{r['uploads_failed']:>8}{r['trend_p50_ms']:>14}{r['trend_p95_ms']:>14}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "benchmark": "server_load", "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "settings": {k: v for k, v in vars(args).items() if k not in ("out", "postgres_url")},
        "results": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
