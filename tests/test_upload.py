"""The upload client: outbox, retries with backoff, idempotent resend, through mock transports."""

from __future__ import annotations

import random
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hepvision.cli.main import main
from hepvision.server.app import create_app
from hepvision.server.core.config import Settings
from hepvision.server.data import accounts
from hepvision.server.models import ExerciseSession
from hepvision.server.schemas import PatientCreate
from hepvision.upload.client import ServerClient
from hepvision.upload.device import DeviceConfig
from hepvision.upload.errors import DeviceRevokedError, TransportError, UploadError
from hepvision.upload.outbox import Outbox, enqueue_session
from hepvision.upload.sync import Backoff, sync
from hepvision.upload.transport import MockTransport, Request, Response
from tests.support.session_records import example_session_record

SERVER = "http://clinic.test"


@pytest.fixture
def server(tmp_path):
    settings = Settings(environment="development", secret_key="k" * 32,
                        database_url=f"sqlite:///{tmp_path / 'server.db'}",
                        argon2_time_cost=1, argon2_memory_kib=8)
    app = create_app(settings, template_ids=lambda: None)
    with app.state.sessionmaker() as db:
        t = accounts.create_therapist(db, app.state.security, email="t@clinic.example",
                                      password="password123")
        _, code = accounts.create_patient(db, app.state.security, t,
                                          PatientCreate(display_name="P"),
                                          code_lifetime=__import__("datetime").timedelta(1))
    app.state.test_code = code.token
    yield app
    app.state.engine.dispose()


class AppTransport:
    """Hands requests to the in-process app; ``fail`` decides per call to break the link
    before the request ("down") or after the server answered ("lost")."""

    def __init__(self, app, fail=lambda n: None) -> None:
        self.client = TestClient(app)
        self.fail = fail
        self.calls = 0

    def request(self, request: Request, *, timeout_s: float) -> Response:
        self.calls += 1
        mode = self.fail(self.calls)
        if mode == "down":
            raise TransportError("connection refused")
        if mode == "503":
            return Response(503, b'{"detail": "busy"}')
        path = request.url.removeprefix(SERVER)
        r = self.client.request(request.method, path, headers=dict(request.headers),
                                content=request.content)
        if mode == "lost":
            raise TransportError("connection reset after sending")
        return Response(r.status_code, r.content)

    def close(self) -> None:
        pass


def enrol(app, home) -> DeviceConfig:
    answer = ServerClient(SERVER, AppTransport(app)).enrol(app.state.test_code)
    config = DeviceConfig(SERVER, answer.device_token, answer.patient_id, "now")
    config.save(home)
    return config


def stored(app) -> int:
    with app.state.sessionmaker() as db:
        return db.scalar(select(func.count()).select_from(ExerciseSession))


def no_sleep(delays: list[float]):
    return delays.append


def test_enqueue_without_enrolment_returns_false(tmp_path):
    assert enqueue_session(example_session_record(), home=tmp_path) is False
    assert not (tmp_path / "outbox.sqlite3").exists()


def test_enqueue_validates_and_deduplicates(tmp_path, server):
    enrol(server, tmp_path)
    record = example_session_record()
    assert enqueue_session(record, home=tmp_path) is True
    assert enqueue_session(record, home=tmp_path) is True
    with Outbox.default(tmp_path) as box:
        assert box.status().pending == 1
    bad = dict(record, pain_before=99)
    with pytest.raises(UploadError, match="pain_before"):
        enqueue_session(bad, home=tmp_path)


def test_device_file_is_private(tmp_path, server):
    enrol(server, tmp_path)
    assert (DeviceConfig.path(tmp_path).stat().st_mode & 0o777) == 0o600


def test_sync_uploads_everything_once(tmp_path, server):
    config = enrol(server, tmp_path)
    for _ in range(5):
        enqueue_session(example_session_record(), home=tmp_path)
    with Outbox.default(tmp_path) as box:
        client = ServerClient(SERVER, AppTransport(server), token=config.device_token)
        report = sync(box, client, config.patient_id, sleep=no_sleep([]))
        assert (report.sent, report.pending, report.offline) == (5, 0, False)
        again = sync(box, client, config.patient_id, sleep=no_sleep([]))
        assert (again.sent, again.duplicates) == (0, 0)
    assert stored(server) == 5


def test_retries_with_growing_backoff(tmp_path, server):
    config = enrol(server, tmp_path)
    enqueue_session(example_session_record(), home=tmp_path)
    delays: list[float] = []
    transport = AppTransport(server, fail=lambda n: "down" if n <= 2 else
                             "503" if n == 3 else None)
    with Outbox.default(tmp_path) as box:
        client = ServerClient(SERVER, transport, token=config.device_token)
        report = sync(box, client, config.patient_id, sleep=delays.append,
                      backoff=Backoff(base_s=1.0, cap_s=100, retries=5),
                      rng=random.Random(0))
    assert report.sent == 1 and report.retried == 3
    assert len(delays) == 3
    for k, d in enumerate(delays):  # base * 2**k with +-50 % jitter
        assert 0.5 * 2**k <= d <= 1.5 * 2**k
    assert stored(server) == 1


def test_offline_keeps_sessions_queued_and_catches_up(tmp_path, server):
    config = enrol(server, tmp_path)
    for _ in range(3):
        enqueue_session(example_session_record(), home=tmp_path)
    with Outbox.default(tmp_path) as box:
        down = ServerClient(SERVER, AppTransport(server, fail=lambda n: "down"),
                            token=config.device_token)
        report = sync(box, down, config.patient_id, sleep=no_sleep([]),
                      backoff=Backoff(retries=2))
        assert report.offline and report.pending == 3 and report.sent == 0
        status = box.status()
        assert status.last_error and "refused" in status.last_error
        up = ServerClient(SERVER, AppTransport(server), token=config.device_token)
        assert sync(box, up, config.patient_id, sleep=no_sleep([])).sent == 3
    assert stored(server) == 3


def test_lost_answer_is_resent_without_duplicate(tmp_path, server):
    config = enrol(server, tmp_path)
    enqueue_session(example_session_record(), home=tmp_path)
    transport = AppTransport(server, fail=lambda n: "lost" if n == 1 else None)
    with Outbox.default(tmp_path) as box:
        client = ServerClient(SERVER, transport, token=config.device_token)
        report = sync(box, client, config.patient_id, sleep=no_sleep([]))
    assert (report.sent, report.duplicates) == (0, 1)  # the server had stored it already
    assert stored(server) == 1


def test_refused_record_is_kept_as_rejected(tmp_path):
    config = DeviceConfig(SERVER, "hvd_x", 1, "now")
    config.save(tmp_path)
    enqueue_session(example_session_record(), home=tmp_path)
    transport = MockTransport(lambda r: Response(422, b'{"detail": "bad record"}'))
    with Outbox.default(tmp_path) as box:
        report = sync(box, ServerClient(SERVER, transport, token="hvd_x"), 1,
                      sleep=no_sleep([]))
        assert (report.rejected, report.pending) == (1, 0)
        assert box.rejected()[0][1] == "bad record"
        assert sync(box, ServerClient(SERVER, transport, token="hvd_x"), 1).rejected == 0
    assert len(transport.requests) == 1


def test_revoked_device_stops_the_sync(tmp_path):
    DeviceConfig(SERVER, "hvd_x", 1, "now").save(tmp_path)
    enqueue_session(example_session_record(), home=tmp_path)
    transport = MockTransport(lambda r: Response(401, b'{"detail": "invalid token"}'))
    with Outbox.default(tmp_path) as box, pytest.raises(DeviceRevokedError):
        sync(box, ServerClient(SERVER, transport, token="hvd_x"), 1, sleep=no_sleep([]))
    assert transport.requests[0].headers["Authorization"] == "Bearer hvd_x"


def test_cli_sync_status_and_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HEPVISION_HOME", str(tmp_path))
    assert main(["sync"]) == 1
    assert "not enrolled" in capsys.readouterr().err
    DeviceConfig(SERVER, "hvd_x", 1, "now").save()
    enqueue_session(example_session_record(session_id=uuid.uuid4()))
    assert main(["sync", "--status"]) == 0
    out = capsys.readouterr().out
    assert "pending=1 sent=0 rejected=0" in out and SERVER in out
    assert main(["enroll", "ABCD-EFGH-JKMN", "--server", "ftp://x"]) == 1
    assert "already enrolled" in capsys.readouterr().err
    assert main(["enroll", "ABCD-EFGH-JKMN", "--server", "ftp://x", "--force"]) == 1
    assert "http://" in capsys.readouterr().err
