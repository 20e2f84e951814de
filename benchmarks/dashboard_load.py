"""Dashboard page load times with a year of daily sessions for 200 patients.

Loopback only. For each database (SQLite file; PostgreSQL when ``--postgres-url`` or
``HEPVISION_TEST_POSTGRES_URL`` is given) it:

1. migrates a fresh database, creates one therapist with ``--patients`` patients (default 200),
   each with a prescription in force for the whole year and ``--days`` days (default 365) of
   realistic sessions ending today (:mod:`hepvision.server.web.demo_data`: two exercises,
   ROM improving, pain, findings, ~10 % missed days), bulk-inserted straight into the tables;
2. starts ``uvicorn`` with the real app on 127.0.0.1 (one worker) and logs in through the
   login form (cookie session, like a browser);
3. loads each page ``--loads`` times with httpx (random patients for the per-patient pages)
   and reports p50 / p95 / max wall time per page (request sent to body received).

Prints a table and writes ``benchmarks/results/dashboard_load.json``. The bar: every page
under 1 s.

    python benchmarks/dashboard_load.py                  # SQLite, + PostgreSQL if the env is set
    eval "$(bash .ci/postgres.sh)"; python benchmarks/dashboard_load.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, make_url, text

from hepvision.server.app import create_app
from hepvision.server.core.config import Settings
from hepvision.server.data import accounts
from hepvision.server.data.sessions import LEDGER_SOURCE
from hepvision.server.models import ExerciseSession, Prescription, SessionExercise, TransmissionDay
from hepvision.server.schemas import PatientCreate
from hepvision.server.web.demo_data import KNEE_REHAB, history

SECRET = "benchmark-secret-0123456789abcdef"
EMAIL, PASSWORD = "bench@clinic.example", "benchmark-password"
RESULTS = Path(__file__).resolve().parent / "results" / "dashboard_load.json"
BAR_S = 1.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fresh_postgres(url: str) -> tuple[str, callable]:
    base = make_url(url)
    name = f"hv_dash_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def _summaries(rec: dict, pid: int, day: date, started: datetime) -> list[dict]:
    """``session_exercises`` rows, computed as :func:`hepvision.server.data.sessions.ingest`."""
    rows = []
    for position, ex in enumerate(rec["exercises"]):
        peaks = [r["rom_peak_deg"] for s in ex["sets"] for r in s["repetitions"]]
        findings = [f for s in ex["sets"] for f in s["findings"]]
        severity = Counter(f["severity"] for f in findings)
        rows.append({
            "session_id": uuid.UUID(rec["session_id"]), "patient_id": pid, "started_at": started,
            "day": day, "position": position, "exercise_id": ex["exercise_id"],
            "angle_name": ex["angle_name"], "side": ex["side"], "view": ex["view"],
            "sets_done": len(ex["sets"]), "reps_done": sum(s["reps"] for s in ex["sets"]),
            "partial_reps": 0, "rom_best_deg": max(peaks) if peaks else None,
            "rom_median_deg": float(statistics.median(peaks)) if peaks else None, "hold_s": 0.0,
            "findings_info": severity["info"], "findings_caution": severity["caution"],
            "findings_stop": severity["stop"],
            "findings_by_rule": dict(Counter(f["rule_id"] for f in findings))})
    return rows


def seed(settings: Settings, n_patients: int, n_days: int) -> tuple[list[int], list[str], int]:
    """Therapist, patients, prescriptions and sessions; returns (patient ids, a session id per
    patient, stored sessions)."""
    app = create_app(settings, template_ids=lambda: None)
    sec = app.state.security
    today = datetime.now(UTC).date()
    first = today - timedelta(days=n_days - 1)
    patient_ids = []
    with app.state.sessionmaker() as db:
        t = accounts.create_therapist(db, sec, email=EMAIL, password=PASSWORD,
                                      full_name="Bench Therapist")
        for i in range(n_patients):
            p, _ = accounts.create_patient(
                db, sec, t, PatientCreate(display_name=f"Patient {i:03d}",
                                          external_ref=f"MRN-{i:05d}", monitoring_start=first),
                code_lifetime=timedelta(hours=1))
            patient_ids.append(p.id)
        therapist_id = t.id
    body = {"exercises": [{"exercise_id": p.exercise_id, "sets": p.sets, "reps": p.reps,
                           "hold_s": 0.0, "rest_s": None, "sessions_per_day": 1,
                           "days_per_week": 7, "side": None, "progression": [],
                           "precautions": [], "overrides": {"target_rom_deg": None,
                                                            "max_rom_deg": None,
                                                            "max_reps_per_set": None,
                                                            "pain_stop_nrs": None}}
                          for p in KNEE_REHAB], "precautions": [], "notes": ""}
    t0 = time.perf_counter()
    stored = 0
    newest: list[str] = []
    created = datetime.combine(first - timedelta(days=1), datetime.min.time(), UTC)
    with app.state.engine.begin() as conn:
        conn.execute(insert(Prescription), [{"patient_id": pid, "version": 1,
                                                 "created_by": therapist_id, "created_at": created,
                                                 "body": body} for pid in patient_ids])
        for k, pid in enumerate(patient_ids):
            s_rows, e_rows, l_rows = [], [], []
            records = history(start=first, days=n_days, seed=k, skip_fraction=0.1,
                              prescription_version=1)
            for rec in records:
                started = datetime.fromisoformat(rec["started_at"])
                day = started.date()
                sid = uuid.UUID(rec["session_id"])
                s_rows.append({
                    "id": sid, "patient_id": pid, "prescription_version": 1, "started_at": started,
                    "ended_at": datetime.fromisoformat(rec["ended_at"]), "day": day,
                    "duration_s": rec["duration_s"], "pain_before": rec["pain_before"],
                    "pain_after": rec["pain_after"], "stopped_early": False,
                    "total_reps": sum(s["reps"] for e in rec["exercises"] for s in e["sets"]),
                    "app_version": rec["app_version"], "received_at": started,
                    "record_digest": "0" * 64, "record": rec})
                e_rows += _summaries(rec, pid, day, started)
                l_rows.append({"patient_id": pid, "day": day, "received_at": started,
                                   "source": LEDGER_SOURCE, "session_id": sid})
            conn.execute(insert(ExerciseSession), s_rows)
            conn.execute(insert(SessionExercise), e_rows)
            conn.execute(insert(TransmissionDay), l_rows)
            stored += len(records)
            newest.append(records[-1]["session_id"])
    if app.state.engine.dialect.name == "postgresql":
        with app.state.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    app.state.engine.dispose()
    print(f"  seeded {stored} sessions for {n_patients} patients in "
          f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return patient_ids, newest, stored


def _percentiles(values_s: list[float]) -> dict[str, float]:
    v = sorted(values_s)
    return {"n": len(v), "p50_ms": round(1000 * statistics.median(v), 1),
            "p95_ms": round(1000 * v[min(len(v) - 1, int(0.95 * len(v)))], 1),
            "max_ms": round(1000 * v[-1], 1)}


def run_backend(name: str, url: str, args: argparse.Namespace) -> dict:
    # development: production cookies are Secure (TLS in front), and this runs on plain http
    settings = Settings(environment="development", database_url=url, secret_key=SECRET)
    print(f"[{name}] seeding", file=sys.stderr)
    patient_ids, newest, stored = seed(settings, args.patients, args.days)
    port = _free_port()
    env = {**os.environ, "HEPVISION_DATABASE_URL": url, "HEPVISION_SECRET_KEY": SECRET,
           "HEPVISION_ENVIRONMENT": "development"}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "hepvision.server.asgi:app_from_env",
           "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(cmd, env=env)
    base = f"http://127.0.0.1:{port}"
    pages: dict[str, dict] = {}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("server did not start")
            time.sleep(0.1)
        rng = random.Random(0)
        with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as c:
            token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)[1]
            r = c.post("/login", data={"csrf_token": token, "email": EMAIL,
                                       "password": PASSWORD})
            assert r.status_code == 200 and "Patient 000" in r.text, r.status_code
            targets = {
                f"patient list ({len(patient_ids)} patients)": lambda i: "/patients",
                "patient page, 90 days": lambda i: f"/patients/{patient_ids[i]}?window=90",
                "patient page, 365 days": lambda i: f"/patients/{patient_ids[i]}?window=365",
                "session detail": lambda i: f"/patients/{patient_ids[i]}/sessions/{newest[i]}",
                "prescription editor": lambda i: f"/patients/{patient_ids[i]}/prescription",
                "sessions CSV, 365 days":
                    lambda i: f"/patients/{patient_ids[i]}/export.csv?window=365",
            }
            for label, path_of in targets.items():
                c.get(path_of(0))  # warm (templates compiled, caches filled)
                times, size = [], 0
                for _ in range(args.loads):
                    path = path_of(rng.randrange(len(patient_ids)))
                    t0 = time.perf_counter()
                    r = c.get(path)
                    times.append(time.perf_counter() - t0)
                    assert r.status_code == 200, (path, r.status_code)
                    size = max(size, len(r.content))
                pages[label] = {**_percentiles(times), "max_bytes": size}
                print(f"  {label}: p95 {pages[label]['p95_ms']} ms", file=sys.stderr)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
    return {"database": name, "patients": args.patients, "days": args.days,
            "stored_sessions": stored, "loads_per_page": args.loads, "pages": pages,
            "all_under_1s": all(p["max_ms"] < 1000 * BAR_S for p in pages.values())}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=200)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--loads", type=int, default=40, help="loads per page (default 40)")
    ap.add_argument("--postgres-url", default=os.environ.get("HEPVISION_TEST_POSTGRES_URL"))
    ap.add_argument("--no-sqlite", action="store_true")
    args = ap.parse_args()
    results = []
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            results.append(run_backend("sqlite", f"sqlite:///{tmp}/bench.db", args))
    if args.postgres_url:
        url, drop = _fresh_postgres(args.postgres_url)
        try:
            results.append(run_backend("postgresql", url, args))
        finally:
            drop()
    print(f"\n{'database':<11} {'page':<28} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
          f"{'KiB':>6}")
    for res in results:
        for label, p in res["pages"].items():
            print(f"{res['database']:<11} {label:<28} {p['p50_ms']:>8} {p['p95_ms']:>8} "
                  f"{p['max_ms']:>8} {p['max_bytes'] // 1024:>6}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "dashboard_load", "bar_s": BAR_S,
        "measured": "wall time per page load over loopback (httpx, one request at a time, "
                    "one uvicorn worker), after one warm-up load",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "results": results}, indent=2) + "\n")
    print(f"\nwrote {RESULTS}")
    return 0 if all(r["all_under_1s"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
