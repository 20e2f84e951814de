"""The phone's server side without a browser: the binary landmark frame, the WebSocket session
(replayed messages applied once, a resumed session counts like an unbroken one, one stored
record), the page's headers and the enrolment link. Frames come from the synthetic-motion
generator (known repetitions)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from hepvision.phone.wire import (
    EMPTY_FRAME_BYTES,
    FRAME_BYTES,
    LandmarkFrame,
    WireError,
    pack_frame,
    parse_control,
    parse_frame,
)
from hepvision.pose.types import PoseResult
from hepvision.server.app import create_app
from hepvision.server.core.config import Settings
from hepvision.server.data import accounts
from hepvision.synthetic import synthesize
from hepvision.wire.enrolment import parse_enrolment, phone_enrolment_url

PASSWORD = "correct horse battery"
REPS = 4


def _frame(seq: int, pose: PoseResult, t_ms: float | None = None) -> bytes:
    return pack_frame(LandmarkFrame(seq, 0, 1000.0 + pose.timestamp_ms if t_ms is None
                                    else t_ms, 12.5, pose))


def test_a_frame_round_trips_within_its_quantisation() -> None:
    pose = synthesize("squat", reps=1, fps=10).results[12]
    data = _frame(7, pose)
    assert len(data) == FRAME_BYTES == 461
    back = parse_frame(data)
    assert (back.seq, back.t_ms, back.page_ms) == (7, 1000.0 + pose.timestamp_ms, 12.5)
    seen = np.isfinite(pose.landmarks[:, 0])
    assert np.allclose(back.pose.landmarks[seen, :3], pose.landmarks[seen, :3], atol=1 / 8192)
    assert np.allclose(back.pose.landmarks[seen, 3], pose.landmarks[seen, 3], atol=0.5 / 250)
    assert np.isnan(back.pose.landmarks[~seen, 0]).all()  # unseen stays NaN
    assert np.allclose(back.pose.world_landmarks, pose.world_landmarks, atol=1e-4,
                       equal_nan=True)
    empty = _frame(8, PoseResult.empty(0, 640, 480))
    assert len(empty) == EMPTY_FRAME_BYTES and not parse_frame(empty).pose.detected


@pytest.mark.parametrize(("data", "why"), [
    (b"", "bytes"), (b"\x02" + bytes(31), "format 2"),
    (b"\x01\x01" + bytes(30), "image size 0x0"),
    (b"\x01\x01\x80\x02\xe0\x01" + bytes(26), "flags and its length"),
    (b"\x01\x00\x80\x02\xe0\x01" + bytes(10) + b"\x00" * 6 + b"\xf8\x7f" + bytes(8),
     "finite"),
], ids=["empty", "version", "size", "flags", "nan-time"])
def test_bad_frames_are_refused_with_a_reason(data: bytes, why: str) -> None:
    with pytest.raises(WireError, match=why):
        parse_frame(data)


def test_bad_controls_are_refused_with_a_reason() -> None:
    with pytest.raises(WireError, match="value"):
        parse_control('{"type": "pain", "seq": 1, "value": 11}')
    with pytest.raises(WireError, match="bad message"):
        parse_control("not json")


def test_the_qr_link_opens_the_page_and_enroll_reads_it() -> None:
    url = phone_enrolment_url("https://clinic.example/hv", "ABCD-EFGH-JKMN")
    assert url == "https://clinic.example/hv/phone/#code=ABCD-EFGH-JKMN"
    invite = parse_enrolment(url)
    assert (invite.code, invite.server_url) == ("ABCD-EFGH-JKMN", "https://clinic.example/hv")
    with pytest.raises(ValueError, match="enrolment link"):
        parse_enrolment("https://clinic.example/phone/")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[TestClient, str, int]]:
    """The server, a therapist, a patient prescribed squats: (client, device token, id)."""
    settings = Settings(environment="development", database_url=f"sqlite:///{tmp_path}/s.db",
                        secret_key="phone-test-secret-0123456789abcdef", argon2_time_cost=1,
                        argon2_memory_kib=8)
    app = create_app(settings)
    with TestClient(app) as client:
        with app.state.sessionmaker() as db:
            accounts.create_therapist(db, app.state.security, email="t@example.org",
                                      password=PASSWORD)
        login = client.post("/api/v1/auth/login",
                            json={"email": "t@example.org", "password": PASSWORD}).json()
        auth = {"Authorization": f"Bearer {login['access_token']}"}
        made = client.post("/api/v1/patients", json={"display_name": "Pat"}, headers=auth)
        pid = made.json()["id"]
        client.post(f"/api/v1/patients/{pid}/prescriptions", headers=auth, json={
            "exercises": [{"exercise_id": "squat", "sets": 1, "reps": 50}]}).raise_for_status()
        enrolled = client.post("/api/v1/devices/enrol",
                               json={"code": made.json()["enrolment"]["code"]})
        yield client, enrolled.json()["device_token"], pid
    app.state.engine.dispose()


def _poses() -> list[PoseResult]:
    rec = synthesize("squat", reps=REPS, yaw_deg=90.0, fps=15.0, seed=3)
    return list(rec.results)


class Phone:
    """The page's side of the protocol, message by message."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client, self.token = client, token
        self.session_id: str | None = None

    def connect(self) -> Any:
        ws = self.client.websocket_connect("/phone/ws")
        sock = ws.__enter__()
        sock.send_text(json.dumps({"type": "hello", "token": self.token,
                                   "session_id": self.session_id}))
        opening = sock.receive_json()
        assert opening["type"] == "session", opening
        self.session_id = opening["session_id"]
        return ws, sock, opening

    @staticmethod
    def control(sock: Any, seq: int, **msg: Any) -> dict[str, Any]:
        sock.send_text(json.dumps({**msg, "seq": seq}))
        reply: dict[str, Any] = sock.receive_json()
        return reply


def _run(phone: Phone, poses: list[PoseResult], cut: int | None = None) -> dict[str, Any]:
    """A whole session; with ``cut``, the connection drops after frame ``cut`` and the page
    resends from 5 frames before it (as if their replies were lost)."""
    ws, sock, opening = phone.connect()
    assert opening["received"] == -1 and opening["status"]["state"] == "pain_before"
    assert Phone.control(sock, 0, type="pain", value=2)["status"]["state"] == "active"
    seq = 1
    results = []
    for i, pose in enumerate(poses):
        if cut is not None and i == cut:
            ws.__exit__(None, None, None)
            ws, sock, opening = phone.connect()  # resume
            assert opening["received"] == seq - 1
            for j in range(i - 5, i):  # already applied: answered, not applied again
                sock.send_bytes(_frame(1 + j, poses[j]))
                assert sock.receive_json()["reason"] == "already applied"
        sock.send_bytes(_frame(seq, pose))
        results.append(sock.receive_json())
        seq += 1
    assert {r["type"] for r in results} == {"result"}
    assert Phone.control(sock, seq, type="next")["status"]["state"] == "pain_after"
    sock.send_text(json.dumps({"type": "pain", "seq": seq + 1, "value": 3}))
    status, summary = sock.receive_json(), sock.receive_json()
    assert status["status"]["state"] == "summary" and summary["type"] == "summary"
    ws.__exit__(None, None, None)
    return summary


def test_a_session_counts_and_is_stored_once_whatever_the_connection_did(
        server: tuple[TestClient, str, int]) -> None:
    client, token, pid = server
    poses = _poses()
    unbroken = _run(Phone(client, token), poses)
    resumed = _run(Phone(client, token), poses, cut=len(poses) // 2)
    assert unbroken["total_reps"] == resumed["total_reps"] == REPS
    assert unbroken["exercises"][0]["sets"][0]["rom"] == resumed["exercises"][0]["sets"][0]["rom"]
    # a page that reconnects after the end gets the summary again; nothing is stored twice
    late = Phone(client, token)
    late.session_id = resumed["session_id"]
    ws, _, opening = late.connect()
    ws.__exit__(None, None, None)
    assert opening["summary"]["total_reps"] == REPS
    rows = client.app.state.sessionmaker  # type: ignore[attr-defined]
    with rows() as db:
        from hepvision.server.data.sessions import list_sessions
        stored = [s.id for s, _ in list_sessions(db, pid)]
    assert sorted(map(str, stored)) == sorted([unbroken["session_id"], resumed["session_id"]])


def test_a_bad_token_is_refused_and_bad_messages_answered(
        server: tuple[TestClient, str, int]) -> None:
    client, _, _ = server
    with client.websocket_connect("/phone/ws") as sock:
        sock.send_text(json.dumps({"type": "hello", "token": "not-a-real-token"}))
        assert sock.receive_json()["type"] == "refused"
    with client.websocket_connect("/phone/ws") as sock:
        sock.send_bytes(b"\x01")
        assert "bytes" in sock.receive_json()["message"]
        sock.send_text(json.dumps({"type": "next", "seq": 0}))
        assert sock.receive_json()["message"] == "send hello first"


def test_the_page_model_and_demo_routes(server: tuple[TestClient, str, int]) -> None:
    client, token, _ = server
    page = client.get("/phone/")
    csp = page.headers["content-security-policy"]
    assert "connect-src 'self'" in csp and "'wasm-unsafe-eval'" in csp
    model = client.get("/phone/model/pose_landmarker_full.task")
    assert model.status_code == 200 and len(model.content) > 9_000_000
    etag = model.headers["etag"]
    again = client.get("/phone/model/pose_landmarker_full.task",
                       headers={"If-None-Match": etag})
    assert again.status_code == 304
    program = client.get("/phone/api/program", headers={"Authorization": f"Bearer {token}"})
    plan = program.json()["plans"][0]
    assert plan["id"] == "squat" and plan["camera"]["text"]
    assert client.get("/phone/api/program").status_code == 401
    demo = client.get("/phone/api/demo/squat").json()
    assert len(demo["frames"]) > 30 and len(demo["frames"][0]) == 33
    assert client.get("/phone/api/demo/no_such").status_code == 404
    vendor = json.loads(client.get("/phone/static/vendor/MANIFEST.json").text)
    assert vendor["version"] == "0.10.35"
    assert client.get("/phone/static/vendor/vision_bundle.mjs").headers[
        "content-type"].startswith("text/javascript")


def test_vendored_files_match_their_manifest() -> None:
    import hashlib

    folder = Path(__file__).resolve().parents[1] / "hepvision/phone/static/vendor"
    manifest = json.loads((folder / "MANIFEST.json").read_text())
    assert manifest["version"] == "0.10.35"
    for name, row in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == row["sha256"], name
    assert sorted(p.name for p in folder.iterdir()) == sorted([*manifest["files"],
                                                               "MANIFEST.json"])




def test_an_abandoned_session_is_stored_as_it_was(server: tuple[TestClient, str, int]) -> None:
    client, token, pid = server
    phone = Phone(client, token)
    ws, sock, _ = phone.connect()
    Phone.control(sock, 0, type="pain", value=4)
    for i, pose in enumerate(_poses()[:40]):
        sock.send_bytes(_frame(1 + i, pose))
        sock.receive_json()
    ws.__exit__(None, None, None)  # the phone went away mid-set
    hub = client.app.state.phone_hub  # type: ignore[attr-defined]
    hub.sweep()
    assert hub.sessions  # not idle long enough yet
    hub.idle_s = 0.0
    hub.sweep()
    assert not hub.sessions
    with client.app.state.sessionmaker() as db:  # type: ignore[attr-defined]
        from hepvision.server.data.sessions import get_session

        row = get_session(db, pid, uuid.UUID(phone.session_id))
    assert row.pain_before == 4 and row.stopped_early
