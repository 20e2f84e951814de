"""Login flood (issue 15): /health and upload latency while 4 threads guess one therapist's
password for 60 s against a real ``hepvision serve`` on SQLite (loopback), then the lockout.

Bars: /health p95 <= 100 ms, uploads p95 <= 500 ms; the flood's account is locked, a colleague
can unlock it, and the owner logs in again. The server hashes with argon2id at production
strength (64 MiB, 3 passes). Prints a table and writes benchmarks/results/login_flood.json with
the machine's load average (other work on the machine shows in the latencies).

    python -m benchmarks.login_flood [--seconds 60] [--threads 4]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from tests.support.login_flood import flood, start_server

RESULTS = Path(__file__).resolve().parent / "results" / "login_flood.json"
ARGON2 = {"time": "3", "memory": str(64 * 1024)}
BARS = {"health_p95_ms": 100.0, "upload_p95_ms": 500.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="hv-flood-") as tmp:
        server, device = start_server(Path(tmp), ARGON2)
        try:
            result = flood(server.base_url, device, seconds=args.seconds, threads=args.threads)
        finally:
            server.stop()
    summary = result.summary()
    met = {name: summary[name] <= bar for name, bar in BARS.items()}  # type: ignore[operator]
    ok = all(met.values()) and result.locked_seen and result.unlocked and \
        result.owner_login_after == 200
    rows = [("flood requests (4 threads)", f"{summary['flood_requests']}",
             f"codes {summary['flood_codes']}"),
            ("/health p50 / p95 / max ms",
             f"{summary['health_p50_ms']} / {summary['health_p95_ms']} / "
             f"{summary['health_max_ms']}", f"bar p95 <= 100: {met['health_p95_ms']}"),
            ("upload p50 / p95 / max ms",
             f"{summary['upload_p50_ms']} / {summary['upload_p95_ms']} / "
             f"{summary['upload_max_ms']}", f"bar p95 <= 500: {met['upload_p95_ms']}"),
            ("health / uploads", f"{summary['health_requests']} / {summary['uploads']}",
             f"health errors {summary['health_errors']}, upload codes "
             f"{summary['upload_codes']}"),
            ("account locked / unlocked / login", f"{result.locked_seen} / {result.unlocked} / "
             f"{result.owner_login_after}", "")]
    print(f"login flood, {args.seconds:.0f} s, SQLite, load average before "
          f"{load_before[0]:.2f}, after {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    for name, value, note in rows:
        print(f"  {name:<36} {value:<28} {note}")
    print("all bars met" if ok else "NOT all bars met")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "benchmark": "login_flood", "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_before": load_before, "load_after": os.getloadavg()},
        "settings": {"seconds": args.seconds, "threads": args.threads, "database": "sqlite",
                     "argon2": ARGON2},
        "bars": BARS, "met": met, "all_met": ok, "result": summary}, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
