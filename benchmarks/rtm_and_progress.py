"""Issue 14 bars: the progress report PDF and the RTM month report, with 200 patients' years.

For each database (SQLite file; PostgreSQL when ``--postgres-url`` or
``HEPVISION_TEST_POSTGRES_URL`` is given) it:

1. seeds one therapist with ``--patients`` patients (default 200), each with a year of
   realistic daily sessions (``dashboard_load.seed``: the dashboard benchmark's data, ~10 %
   missed days), and a treatment-management time log (three entries a month, one with a live
   contact);
2. through the real app in-process (FastAPI TestClient, a therapist token, one request at a
   time) times ``--loads`` requests of:
   - ``POST /patients/{id}/progress-report`` for the last 365 days of a random patient (bar:
     <= 3 s), and the same report built and rendered by the library call alone;
   - ``GET /rtm/month-report.csv`` of the current and the previous month (bar: <= 2 s);
3. prints a table and writes ``benchmarks/results/rtm_and_progress.json``.

    python benchmarks/rtm_and_progress.py                  # SQLite, + PostgreSQL if the env is set
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from dashboard_load import _fresh_postgres, _percentiles, seed
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from hepvision.server.app import create_app
from hepvision.server.core.config import Settings
from hepvision.server.data.alert_rules import AlertDefaults
from hepvision.server.data.rtm import month_key
from hepvision.server.models import Patient, RtmTimeEntry, Therapist
from hepvision.server.progress import progress_pdf

SECRET = "benchmark-secret-0123456789abcdef"
EMAIL, PASSWORD = "bench@clinic.example", "benchmark-password"
RESULTS = Path(__file__).resolve().parent / "results" / "rtm_and_progress.json"
BARS_S = {"progress report PDF, 365 days (API)": 3.0,
          "progress report PDF, 365 days (library)": 3.0,
          "RTM month report CSV, this month": 2.0,
          "RTM month report CSV, last month": 2.0}


def _time_log(app: FastAPI, patient_ids: list[int], days: int) -> int:
    """Three entries a month per patient (8, 7 and 12 minutes; the second live)."""
    today = datetime.now(UTC).date()
    rows = []
    with app.state.sessionmaker() as db:
        therapist_id = db.scalars(select(Therapist.id)).one()
    for pid in patient_ids:
        day = today - timedelta(days=days - 1)
        while day <= today:
            for offset, minutes, live in ((2, 8, False), (11, 7, True), (20, 12, False)):
                d = day.replace(day=min(28, offset))
                rows.append({"patient_id": pid, "therapist_id": therapist_id, "day": d,
                             "minutes": minutes, "live_contact": live, "note": "review",
                             "created_at": datetime.now(UTC), "updated_at": datetime.now(UTC)})
            day = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    with app.state.engine.begin() as conn:
        conn.execute(insert(RtmTimeEntry), rows)
    return len(rows)


def _timed(call: Callable[[], None], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        out.append(time.perf_counter() - t0)
    return out


def run_backend(name: str, url: str, args: argparse.Namespace) -> dict:
    settings = Settings(environment="development", database_url=url, secret_key=SECRET)
    print(f"[{name}] seeding", file=sys.stderr)
    patient_ids, _, stored = seed(settings, args.patients, args.days)
    app = create_app(settings, template_ids=lambda: None)
    entries = _time_log(app, patient_ids, args.days)
    client = TestClient(app)
    token = client.post("/api/v1/auth/login",
                        json={"email": EMAIL, "password": PASSWORD}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(0)
    today = datetime.now(UTC).date()
    body = {"start": str(today - timedelta(days=364)), "end": str(today)}
    this_month = month_key(today)
    last_month = month_key(today.replace(day=1) - timedelta(days=1))
    sizes: dict[str, int] = {}

    def api_pdf() -> None:
        r = client.post(f"/api/v1/patients/{rng.choice(patient_ids)}/progress-report",
                        json=body, headers=headers)
        assert r.status_code == 200 and r.content.startswith(b"%PDF"), r.status_code
        sizes["progress report PDF, 365 days (API)"] = len(r.content)

    def library_pdf() -> None:
        with app.state.sessionmaker() as db:
            patient = db.get(Patient, rng.choice(patient_ids))
            pdf = progress_pdf(db, patient, start=date.fromisoformat(body["start"]),
                               end=today, comment="", defaults=AlertDefaults(7, 10.0))
        sizes["progress report PDF, 365 days (library)"] = len(pdf)

    def month_csv(month: str, label: str) -> Callable[[], None]:
        def call() -> None:
            r = client.get("/api/v1/rtm/month-report.csv", params={"month": month},
                           headers=headers)
            assert r.status_code == 200, r.status_code
            sizes[label] = len(r.content)
            lines[label] = r.text.count("\n") - 1
        return call

    lines: dict[str, int] = {}
    targets = {"progress report PDF, 365 days (API)": api_pdf,
               "progress report PDF, 365 days (library)": library_pdf,
               "RTM month report CSV, this month": month_csv(
                   this_month, "RTM month report CSV, this month"),
               "RTM month report CSV, last month": month_csv(
                   last_month, "RTM month report CSV, last month")}
    results = {}
    for label, call in targets.items():
        call()  # warm
        stats = _percentiles(_timed(call, args.loads))
        results[label] = {**stats, "bytes": sizes[label], "bar_s": BARS_S[label],
                          "within_bar": stats["max_ms"] <= 1000 * BARS_S[label]}
        if label in lines:
            results[label]["csv_lines"] = lines[label]
        print(f"  {label}: p95 {stats['p95_ms']} ms", file=sys.stderr)
    app.state.engine.dispose()
    return {"database": name, "patients": args.patients, "days": args.days,
            "stored_sessions": stored, "time_entries": entries, "loads": args.loads,
            "results": results}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=200)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--loads", type=int, default=10, help="timed requests per target")
    ap.add_argument("--postgres-url", default=os.environ.get("HEPVISION_TEST_POSTGRES_URL"))
    ap.add_argument("--no-sqlite", action="store_true")
    args = ap.parse_args()
    runs = []
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(run_backend("sqlite", f"sqlite:///{tmp}/bench.db", args))
    if args.postgres_url:
        url, drop = _fresh_postgres(args.postgres_url)
        try:
            runs.append(run_backend("postgresql", url, args))
        finally:
            drop()
    print(f"\n{'database':<11} {'what':<42} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
          f"{'bar s':>6} {'ok':>4}")
    for run in runs:
        for label, r in run["results"].items():
            print(f"{run['database']:<11} {label:<42} {r['p50_ms']:>8} {r['p95_ms']:>8} "
                  f"{r['max_ms']:>8} {r['bar_s']:>6} {'yes' if r['within_bar'] else 'NO':>4}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "rtm_and_progress",
        "measured": "wall time per request through the app in-process (TestClient, one "
                    "request at a time) after one warm-up; 'library' is the report's build "
                    "and render call alone",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "runs": runs}, indent=2) + "\n")
    print(f"\nwrote {RESULTS}")
    return 0 if all(r["within_bar"] for run in runs for r in run["results"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
