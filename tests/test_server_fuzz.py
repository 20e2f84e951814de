"""The API fuzzed from its own OpenAPI schema (schemathesis), as a therapist and as a device.

Every operation of ``/openapi.json`` gets generated requests (path ids mostly pointing at the
caller's real patient, session and time-log entry, so requests get past the 404s); uploads also
get generated *valid* session records (tests/support/fuzz_world.py). Each response must not be a
server error and must conform to the schema: a documented status code, content type and body.
At least 5,000 requests per token kind on SQLite (``HEPVISION_FUZZ_PER_OPERATION`` raises or
lowers the number per operation); when HEPVISION_TEST_POSTGRES_URL is set, a shorter run on
PostgreSQL too (``HEPVISION_FUZZ_PG_PER_OPERATION``, default 25: its own errors, such as a NUL
in text, show up in a sample; the full count would double the suite's longest test).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from hepvision.server.app import create_app
from hepvision.server.core.config import Settings
from hepvision.server.data.lockout import LoginThrottle
from tests.support.databases import BACKENDS, fresh_database
from tests.support.fuzz_world import FuzzWorld, build_world, valid_records

SECRET = "fuzz-secret-key-0123456789abcdef"
PER_OPERATION = int(os.environ.get("HEPVISION_FUZZ_PER_OPERATION", "120"))
PG_PER_OPERATION = int(os.environ.get("HEPVISION_FUZZ_PG_PER_OPERATION", "25"))
UPLOADS_PER_EXAMPLE = 6  # uploads get 6x the examples: schema-generated and valid records
MIN_REQUESTS = 5_000
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
#: Operations that would end the caller's own session or erase the fuzzed patient: they get
#: throwaway ids / tokens instead of the world's (still generated, still checked).
NO_REAL_IDS = {("DELETE", "/api/v1/patients/{patient_id}/data"),
               ("POST", "/api/v1/auth/logout"),
               ("POST", "/api/v1/patients/{patient_id}/devices/revoke")}
UPLOAD = ("POST", "/api/v1/patients/{patient_id}/sessions")


@pytest.fixture(scope="module", params=BACKENDS)
def app(request, tmp_path_factory):
    """The server on a fresh database; throttled logins answer at once (the tarpit's pause
    would cost two minutes of the run: tests/test_login_flood.py covers it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LoginThrottle, "TARPIT_S", 0.0)
        yield from _app(request, tmp_path_factory)


def _app(request, tmp_path_factory):
    databases = fresh_database(request.param, tmp_path_factory.mktemp("fuzz"), "hv_fuzz")
    url = next(databases)
    app = create_app(Settings(environment="development", database_url=url, secret_key=SECRET,
                              argon2_time_cost=1, argon2_memory_kib=8,
                              session_backdate_days=1))
    yield app
    app.state.engine.dispose()
    next(databases, None)  # drops the PostgreSQL database


def _real_ids(world: FuzzWorld, draw: st.DrawFn) -> dict[str, object]:
    return {"patient_id": world.patient_id,
            "session_id": draw(st.sampled_from(world.session_ids)),
            "entry_id": world.entry_id, "version": 1}


def _fuzz(app, world: FuzzWorld, headers: dict[str, str],
          per_operation: int) -> tuple[Counter[str], list[str]]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    sent: Counter[str] = Counter()
    failures: list[str] = []
    seconds: dict[str, float] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        key = (operation.method.upper(), operation.path)
        run = _runner(operation, world, headers, key, sent, failures)
        start = time.perf_counter()
        settings(max_examples=per_operation * (UPLOADS_PER_EXAMPLE if key == UPLOAD else 1),
                 deadline=None, database=None, derandomize=True, phases=[Phase.generate],
                 suppress_health_check=list(HealthCheck))(run)()
        seconds[f"{key[0]} {key[1]}"] = time.perf_counter() - start
    for name, s in sorted(seconds.items(), key=lambda kv: -kv[1])[:6]:
        print(f"  {s:6.1f} s  {sent[name]:5d} requests  {name}")
    return sent, failures


def _runner(operation, world: FuzzWorld, headers: dict[str, str], key: tuple[str, str],
            sent: Counter[str], failures: list[str]) -> Callable[[], None]:
    strategy = operation.as_strategy()

    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        if key == UPLOAD and data.draw(st.integers(0, 19)) > 0:  # 19 in 20: a valid record
            case = operation.Case(path_parameters={"patient_id": world.patient_id},
                                  body=data.draw(valid_records()),
                                  media_type="application/json")
        else:  # generated from the schema (slow to draw for a record: 1 in 20)
            case = data.draw(strategy)
        if key not in NO_REAL_IDS and case.path_parameters and data.draw(
                st.integers(0, 9)) < 8:
            real = _real_ids(world, data.draw)
            case.path_parameters = {k: real.get(k, v) for k, v in case.path_parameters.items()}
        case.headers = {**(case.headers or {}), **(
            {"Authorization": "Bearer hvt_throwaway"} if key in NO_REAL_IDS else headers)}
        response = case.call()
        sent[f"{key[0]} {key[1]}"] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:  # a failed check: collected, reported together below
            failures.append(f"{key[0]} {key[1]} -> {response.status_code}: "
                            f"{str(exc).splitlines()[0][:300]}\n    body={case.body!r:.300}"
                            f" path={case.path_parameters} query={case.query}")
    return run


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["therapist", "device"])
def test_fuzzed_api_answers_no_5xx_and_conforms(app, kind):
    world = build_world(app, f"fuzz-{kind}@clinic.example")
    headers = world.therapist_headers if kind == "therapist" else world.device_headers
    sqlite = app.state.settings.is_sqlite
    sent, failures = _fuzz(app, world, headers, PER_OPERATION if sqlite else PG_PER_OPERATION)
    total = sum(sent.values())
    print(f"\n{kind}: {total} requests over {len(sent)} operations, {len(failures)} failures")
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:30])
    if sqlite and PER_OPERATION >= 120:
        assert total >= MIN_REQUESTS, total
