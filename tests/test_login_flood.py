"""A login flood against a real ``hepvision serve`` (SQLite, loopback): the account is locked,
a colleague unlocks it, the owner logs in again, and /health and uploads keep answering while
the flood lasts. (The latency bar itself is measured by benchmarks/login_flood.py.)"""

from __future__ import annotations

import pytest

from tests.support.login_flood import flood, start_server

#: The server's argon2 at production strength (64 MiB, 3 passes): the flood must not be cheap.
ARGON2 = {"time": "3", "memory": str(64 * 1024)}


@pytest.mark.slow
def test_flood_locks_the_account_and_health_keeps_answering(tmp_path):
    server, device = start_server(tmp_path, ARGON2)
    try:
        result = flood(server.base_url, device, seconds=22, threads=4)
    finally:
        server.stop()
    summary = result.summary()
    print(summary)
    assert result.locked_seen and result.unlocked, summary
    assert result.owner_login_after == 200, summary
    assert result.flood_codes[429] > result.flood_codes[401], summary  # throttled, not hashed
    assert result.health_errors == 0 and len(result.health_ms) > 100, summary
    assert max(result.health_ms) < 2000, summary  # answering, not stalled (bar: benchmark)
    assert set(result.upload_codes) == {201}, summary
