"""``hepvision app``: the WebSocket protocol, the session flow behind it, the local-only guard.

Through FastAPI's TestClient (no browser, no network); the pose backend is a stub except
where a real shared frame must give 33 landmarks (skipped without ../shared).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from hepvision.app import AppSettings, create_app
from tests.support.fakecam import clip_to_y4m, write_y4m
from hepvision.app.protocol import FrameHeader, ProtocolError, pack_frame, parse_frame
from hepvision.capture.frames import Frame
from hepvision.session.serialize import LOCAL_FIELDS, wire_part
from hepvision.pose.types import BackendInfo, PoseResult
from hepvision.wire.session import SessionRecord

BASE = "http://127.0.0.1:8765"
WS = "ws://127.0.0.1:8765/ws"
LOCAL_CLIENT = ("127.0.0.1", 50000)


class StubEstimator:
    """Nobody in view, every frame; records the frames it saw."""

    def __init__(self) -> None:
        self.timestamps: list[int] = []
        self.closed = False

    @property
    def info(self) -> BackendInfo:
        return BackendInfo("stub", {})

    def estimate(self, frame: Frame) -> PoseResult:
        self.timestamps.append(frame.timestamp_ms)
        return PoseResult.empty(frame.timestamp_ms, frame.width_px, frame.height_px)

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> StubEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _jpeg(img: np.ndarray | None = None) -> bytes:
    img = np.full((48, 64, 3), 127, np.uint8) if img is None else img
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    return buf.tobytes()


def _frame(seq: int, jpeg: bytes, t_ms: float | None = None, dropped: int = 0) -> bytes:
    t = 1000.0 + 33.3 * seq if t_ms is None else t_ms
    return pack_frame(FrameHeader(seq=seq, t_ms=t, sent_ms=t + 4.0, dropped=dropped), jpeg)


@pytest.fixture
def saved() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def stub() -> StubEstimator:
    return StubEstimator()


@pytest.fixture
def client(tmp_path: Path, saved: list[dict[str, Any]], stub: StubEstimator
           ) -> Iterator[TestClient]:
    settings = AppSettings(out_dir=tmp_path / "sessions", exercise_ids=("squat", "bridge"),
                           sets=2, reps=0, rest_s=30.0, estimator_factory=lambda: stub,
                           on_saved=saved.append)
    with TestClient(create_app(settings), base_url=BASE, client=LOCAL_CLIENT) as c:
        yield c


def _send(ws: Any, message: dict[str, Any]) -> dict[str, Any]:
    ws.send_text(json.dumps(message))
    return ws.receive_json()


def _started(ws: Any, exercise: str = "squat", pain: int | None = 2) -> dict[str, Any]:
    session = _send(ws, {"type": "start", "exercise": exercise})
    assert session["type"] == "session"
    if pain is not None:
        assert _send(ws, {"type": "pain", "value": pain})["status"]["state"] == "active"
    return session


# -- the page and its plan list ----------------------------------------------------------------
def test_page_and_assets_are_served_locally_with_a_strict_csp(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and '<script type="module" src="/static/app.js">' in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self' ws://127.0.0.1:8765" in csp
    for name in ("app.js", "camera.js", "draw.js", "style.css"):
        asset = client.get(f"/static/{name}")
        assert asset.status_code == 200, name
        hosts = set(re.findall(r"(?:https?|wss?)://([\w.-]+)", asset.text))
        assert hosts <= {"localhost"}, (name, hosts)  # no CDN, nothing fetched from elsewhere
    assert "javascript" in client.get("/static/app.js").headers["content-type"]


def test_plans_list_the_offered_exercises_with_dosage_and_gauge(client: TestClient) -> None:
    body = client.get("/api/plans").json()
    assert body["mode"] == "pick"
    plans = {p["id"]: p for p in body["plans"]}
    assert set(plans) == {"squat", "bridge"}
    squat = plans["squat"]
    assert (squat["sets"], squat["reps"], squat["rest_s"]) == (2, 0, 30.0)
    assert squat["signal"] == "knee_flexion" and squat["unit"] == "deg"
    assert squat["gauge"]["turn"] > squat["gauge"]["start"]


# -- the local-only guard ------------------------------------------------------------------------
def test_a_client_from_another_machine_is_refused(tmp_path: Path) -> None:
    settings = AppSettings(out_dir=tmp_path, exercise_ids=("squat",))
    with TestClient(create_app(settings), base_url=BASE, client=("192.168.1.20", 4000)) as c:
        assert c.get("/").status_code == 403
        with pytest.raises(WebSocketDisconnect) as exc, c.websocket_connect(WS):
            pass
        assert exc.value.code == 1008


def test_a_rebound_host_name_and_a_foreign_origin_are_refused(client: TestClient) -> None:
    assert client.get("/api/plans", headers={"host": "evil.example:8765"}).status_code == 403
    with pytest.raises(WebSocketDisconnect) as exc, \
            client.websocket_connect(WS, headers={"origin": "http://evil.example"}):
        pass
    assert exc.value.code == 1008
    with client.websocket_connect(WS, headers={"origin": BASE}) as ws:  # the page's own origin
        assert _send(ws, {"type": "tick"})["type"] == "error"


def test_remote_clients_are_served_only_when_allowed(tmp_path: Path) -> None:
    settings = AppSettings(out_dir=tmp_path, exercise_ids=("squat",), allow_remote=True)
    with TestClient(create_app(settings), base_url="http://192.168.1.5:8765",
                    client=("192.168.1.20", 4000)) as c:
        assert c.get("/api/plans").status_code == 200


# -- the protocol ------------------------------------------------------------------------------
def test_frame_packets_round_trip_and_bad_packets_are_protocol_errors() -> None:
    header = FrameHeader(seq=3, t_ms=12.5, sent_ms=20.0, dropped=1)
    got, jpeg = parse_frame(pack_frame(header, b"JPEG"), max_bytes=1000)
    assert got == header and jpeg == b"JPEG"
    for bad in (b"", b"\x01\x00", b"\xff\xff\x00\x00{}", b"\x02\x00\x00\x00{}" + b"x" * 2000,
                pack_frame(header, b"")[:4] + b'{"seq": -1, "t_ms": 0, "sent_ms": 0}'):
        with pytest.raises(ProtocolError):
            parse_frame(bad[:4] + bad[4:], max_bytes=1000)


def test_messages_before_start_and_bad_messages_get_errors_not_a_crash(
        client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        assert "start" in _send(ws, {"type": "pain", "value": 3})["message"]
        ws.send_bytes(_frame(0, _jpeg()))
        assert ws.receive_json()["type"] == "error"
        ws.send_text("not json")
        assert ws.receive_json()["type"] == "error"
        assert _send(ws, {"type": "dance"})["type"] == "error"
        assert _send(ws, {"type": "start", "exercise": "lunge"})["message"].endswith(
            "is not offered here")
        _started(ws)
        assert "pain" in _send(ws, {"type": "pain", "value": 11})["message"]
        assert "already started" in _send(ws, {"type": "start", "exercise": "squat"})["message"]


def test_a_corrupt_frame_gets_an_error_and_the_session_goes_on(
        client: TestClient, stub: StubEstimator) -> None:
    with client.websocket_connect(WS) as ws:
        _started(ws)
        ws.send_bytes(_frame(0, b"\xff\xd8 not really a jpeg"))
        reply = ws.receive_json()
        assert reply["type"] == "error" and reply["seq"] == 0 and "decode" in reply["message"]
        ws.send_bytes(b"\x00\x00")
        assert ws.receive_json()["type"] == "error"
        ws.send_bytes(_frame(1, _jpeg()))
        reply = ws.receive_json()
        assert reply["type"] == "result" and reply["seq"] == 1
        assert reply["landmarks"] is None and reply["setup_message"]  # nobody in view
    assert len(stub.timestamps) == 1
    deadline = time.monotonic() + 5.0
    while not stub.closed and time.monotonic() < deadline:  # released on its worker thread
        time.sleep(0.01)
    assert stub.closed


def test_frames_get_increasing_millisecond_timestamps_and_stale_ones_are_skipped(
        client: TestClient, stub: StubEstimator) -> None:
    with client.websocket_connect(WS) as ws:
        _started(ws)
        for seq, t in enumerate((5000.0, 5033.4, 5066.6)):
            ws.send_bytes(_frame(seq, _jpeg(), t_ms=t))
            assert ws.receive_json()["type"] == "result"
        ws.send_bytes(_frame(3, _jpeg(), t_ms=5050.0))  # older than the last one
        reply = ws.receive_json()
        assert reply["type"] == "skipped" and reply["seq"] == 3
    assert stub.timestamps == [0, 33, 67]


def test_frames_outside_a_set_are_skipped_with_the_status(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        _started(ws, pain=None)
        ws.send_bytes(_frame(0, _jpeg()))
        reply = ws.receive_json()
        assert reply["type"] == "skipped" and reply["status"]["state"] == "pain_before"


def test_pain_next_and_rest_move_the_flow_and_the_record_is_saved(
        client: TestClient, saved: list[dict[str, Any]], tmp_path: Path) -> None:
    with client.websocket_connect(WS) as ws:
        session = _started(ws, pain=2)
        ws.send_bytes(_frame(0, _jpeg(), dropped=4))
        assert ws.receive_json()["status"]["set"] == 1
        rest = _send(ws, {"type": "next"})["status"]
        assert rest["state"] == "rest" and rest["set"] == 2 and rest["rest_remaining_s"] > 25
        assert _send(ws, {"type": "tick"})["status"]["state"] == "rest"
        assert _send(ws, {"type": "next"})["status"]["state"] == "active"  # skip the rest
        assert _send(ws, {"type": "next"})["status"]["state"] == "pain_after"
        assert _send(ws, {"type": "pain", "value": 4})["status"]["state"] == "summary"
        summary = ws.receive_json()
    assert summary["type"] == "summary"
    assert [s["set"] for s in summary["exercises"][0]["sets"]] == [1, 2]
    path = Path(summary["saved_to"])
    assert path.parent == tmp_path / "sessions"
    record = json.loads(path.read_text())
    assert record["session_id"] == session["session_id"]
    assert (record["pain_before"], record["pain_after"]) == (2, 4)
    assert record["stopped_early"] is False and record["dropped_frames"] == 4
    SessionRecord.model_validate(wire_part(record))
    assert all(name in record for name in LOCAL_FIELDS)
    assert saved == [record]  # queued for upload once


def test_stopping_early_keeps_what_was_done(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        _started(ws, pain=1)
        ws.send_bytes(_frame(0, _jpeg()))
        ws.receive_json()
        assert _send(ws, {"type": "stop"})["status"]["state"] == "pain_after"
        _send(ws, {"type": "skip_pain"})
        summary = ws.receive_json()
    record = json.loads(Path(summary["saved_to"]).read_text())
    assert record["stopped_early"] is True and record["pain_after"] is None
    assert len(record["exercises"][0]["sets"]) == 1


def test_closing_the_page_mid_set_saves_the_session(
        client: TestClient, saved: list[dict[str, Any]]) -> None:
    with client.websocket_connect(WS) as ws:
        _started(ws, pain=3)
        ws.send_bytes(_frame(0, _jpeg()))
        ws.receive_json()
    (record,) = saved
    assert record["stopped_early"] is True and record["stop_reason"] == "page closed"
    assert record["pain_before"] == 3 and record["processed_frames"] == 1


def test_a_pain_rating_at_the_stop_threshold_ends_the_session(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        _started(ws, pain=None)
        assert _send(ws, {"type": "pain", "value": 9})["status"]["state"] == "pain_after"


def test_program_mode_runs_the_whole_program(tmp_path: Path, stub: StubEstimator) -> None:
    from hepvision.live.program import load_program

    program = tmp_path / "program.toml"
    program.write_text('[[exercise]]\nid = "squat"\nsets = 1\nreps = 0\n\n'
                       '[[exercise]]\nid = "bridge"\nsets = 1\nreps = 0\nrest_s = 5\n')
    settings = AppSettings(out_dir=tmp_path, program=load_program(program),
                           estimator_factory=lambda: stub)
    with TestClient(create_app(settings), base_url=BASE, client=LOCAL_CLIENT) as c:
        assert c.get("/api/plans").json()["mode"] == "program"
        with c.websocket_connect(WS) as ws:
            session = _send(ws, {"type": "start"})
            assert [p["id"] for p in session["plans"]] == ["squat", "bridge"]
            _send(ws, {"type": "skip_pain"})
            status = _send(ws, {"type": "next"})["status"]
            assert status["state"] == "rest" and status["exercise"] == "bridge"


# -- with the real pose backend on a shared frame ------------------------------------------------
def test_a_shared_frame_gives_33_landmarks(tmp_path: Path, shared_videos: Path) -> None:
    cap = cv2.VideoCapture(str(shared_videos / "bridge_side_be2018.mp4"))
    ok, img = cap.read()
    cap.release()
    assert ok
    img = cv2.resize(img, (640, 360))
    settings = AppSettings(out_dir=tmp_path, exercise_ids=("bridge",))
    with TestClient(create_app(settings), base_url=BASE, client=LOCAL_CLIENT) as c, \
            c.websocket_connect(WS) as ws:
        _started(ws, exercise="bridge")
        ws.send_bytes(_frame(0, _jpeg(img)))
        reply = ws.receive_json()
    assert reply["type"] == "result"
    lm = reply["landmarks"]
    assert len(lm) == 33 and all(len(p) == 3 for p in lm)
    hips = [lm[23], lm[24]]
    assert all(0.0 < p[0] < 1.0 and 0.0 < p[1] < 1.0 for p in hips)  # the person lies mid-frame
    assert reply["signal_unit"] == "deg" and reply["signal_value"] is not None
    assert reply["status"]["state"] == "active" and reply["latency_ms"] > 0


# -- the fake camera file ------------------------------------------------------------------------
def test_y4m_files_have_the_header_and_i420_frames(tmp_path: Path) -> None:
    frames = [np.full((4, 6, 3), v, np.uint8) for v in (0, 255)]
    path = tmp_path / "x.y4m"
    assert write_y4m(frames, path, 24000 / 1001) == 2
    data = path.read_bytes()
    head, rest = data.split(b"\n", 1)
    assert head == b"YUV4MPEG2 W6 H4 F24000:1001 Ip A1:1 C420jpeg"
    assert rest.count(b"FRAME\n") == 2 and len(rest) == 2 * (6 + 6 * 4 * 3 // 2)
    with pytest.raises(ValueError, match="even"):
        write_y4m([np.zeros((3, 4, 3), np.uint8)], tmp_path / "odd.y4m", 30)


def test_clip_to_y4m_adds_blank_lead_and_tail(tmp_path: Path) -> None:
    src = tmp_path / "clip.avi"
    out = cv2.VideoWriter(str(src), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (800, 600))
    for _ in range(5):
        out.write(np.full((600, 800, 3), 200, np.uint8))
    out.release()
    clip = clip_to_y4m(src, tmp_path / "clip.y4m", lead_s=0.5, tail_s=0.2)
    assert (clip.width_px, clip.height_px) == (640, 480)
    assert (clip.lead_frames, clip.clip_frames, clip.tail_frames) == (5, 5, 2)
    assert clip.period_s == pytest.approx(1.2)


# -- the command line ----------------------------------------------------------------------------
def test_cli_help_says_it_stays_on_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    from hepvision.cli.main import main

    with pytest.raises(SystemExit):
        main(["app", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "127.0.0.1" in text and "explicit --host" in text
