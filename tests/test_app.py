"""``hepvision app``: the patient page in its local mode, its WebSocket (both pose sources), the
session flow behind it, the saved report, the local-only guard.

Through FastAPI's TestClient (no browser, no network); the pose backend is a stub except
where a real shared frame must give 33 landmarks (skipped without ../shared).
"""

from __future__ import annotations

import json
import re
import time
import uuid
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
from hepvision.phone.wire import LandmarkFrame
from hepvision.phone.wire import pack_frame as pack_landmarks
from hepvision.session.serialize import LOCAL_FIELDS, wire_part
from hepvision.pose.types import BackendInfo, PoseResult
from hepvision.wire.session import SessionRecord

BASE = "http://127.0.0.1:8765"
WS = "ws://127.0.0.1:8765/phone/ws"
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


def _landmarks(seq: int) -> bytes:
    """A landmark frame of the in-browser pose (nobody found) at ``seq``."""
    return pack_landmarks(LandmarkFrame(seq, 0, 1000.0 + 33.3 * seq, 5.0,
                                        PoseResult.empty(0, 640, 480)))


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


class Page:
    """The page's side of ``/phone/ws``: numbered controls, as link.js sends them."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.seq = 0

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq - 1

    def send(self, message: dict[str, Any]) -> dict[str, Any]:
        """A control (numbered here unless it is the hello); returns the reply."""
        if message["type"] != "hello" and "seq" not in message:
            message = {**message, "seq": self.next_seq()}
        self.ws.send_text(json.dumps(message))
        return self.ws.receive_json()  # type: ignore[no-any-return]

    def frame(self, jpeg: bytes, t_ms: float | None = None, dropped: int = 0) -> dict[str, Any]:
        self.ws.send_bytes(_frame(self.next_seq(), jpeg, t_ms, dropped))
        return self.ws.receive_json()  # type: ignore[no-any-return]

    def start(self, exercise: str | None = "squat", pain: int | None = 2,
              pose: str = "server") -> dict[str, Any]:
        session = self.send({"type": "hello", "pose": pose, "exercise": exercise})
        assert session["type"] == "session", session
        if pain is not None:
            assert self.send({"type": "pain", "value": pain})["status"]["state"] == "active"
        return session


# -- the page and its plan list ----------------------------------------------------------------
def test_the_phone_page_is_served_in_its_local_mode_with_a_strict_csp(
        client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="en" data-mode="local" data-pose="server">' in page.text
    assert '<script type="module" src="/phone/static/phone.js">' in page.text
    assert client.get("/phone/").text == page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self';" in csp
    assert "'wasm-unsafe-eval'" in csp and "http" not in csp
    for name in ("phone.js", "link.js", "draw.js", "jpeg.js", "views.js", "pose.js",
                 "phone.css"):
        asset = client.get(f"/phone/static/{name}")
        assert asset.status_code == 200, name
        hosts = set(re.findall(r"(?:https?|wss?)://([\w.-]+)", asset.text))
        assert hosts <= {"localhost"}, (name, hosts)  # no CDN, nothing fetched from elsewhere
    assert "javascript" in client.get("/phone/static/phone.js").headers["content-type"]
    model = client.get("/phone/model/pose_landmarker_full.task")
    assert model.status_code == 200 and len(model.content) > 1_000_000
    assert client.get("/phone/api/demo/squat").json()["frames"]
    assert client.get("/static/app.js").status_code == 404  # the old page is gone


def test_the_program_lists_the_offered_exercises_with_dosage_camera_and_gauge(
        client: TestClient) -> None:
    body = client.get("/phone/api/program").json()
    assert body["mode"] == "pick" and body["pose"] == "server" and body["version"] is None
    plans = {p["id"]: p for p in body["plans"]}
    assert set(plans) == {"squat", "bridge"}
    squat = plans["squat"]
    assert (squat["sets"], squat["reps"], squat["rest_s"]) == (2, 0, 30.0)
    assert squat["signal"] == "knee_flexion" and squat["unit"] == "deg"
    assert squat["gauge"]["turn"] > squat["gauge"]["start"]
    assert squat["camera"]["text"]


def test_the_default_pose_source_is_the_cli_default_and_marks_the_page(
        tmp_path: Path) -> None:
    from hepvision.app.config import DEFAULT_POSE
    from hepvision.cli.app import DEFAULT_POSE as CLI_DEFAULT

    assert CLI_DEFAULT == DEFAULT_POSE
    settings = AppSettings(out_dir=tmp_path, exercise_ids=("squat",), pose="browser")
    with TestClient(create_app(settings), base_url=BASE, client=LOCAL_CLIENT) as c:
        assert 'data-pose="browser"' in c.get("/").text


# -- the local-only guard ------------------------------------------------------------------------
def test_a_client_from_another_machine_is_refused(tmp_path: Path) -> None:
    settings = AppSettings(out_dir=tmp_path, exercise_ids=("squat",))
    with TestClient(create_app(settings), base_url=BASE, client=("192.168.1.20", 4000)) as c:
        assert c.get("/").status_code == 403
        with pytest.raises(WebSocketDisconnect) as exc, c.websocket_connect(WS):
            pass
        assert exc.value.code == 1008


def test_a_rebound_host_name_and_a_foreign_origin_are_refused(client: TestClient) -> None:
    assert client.get("/phone/api/program",
                      headers={"host": "evil.example:8765"}).status_code == 403
    with pytest.raises(WebSocketDisconnect) as exc, \
            client.websocket_connect(WS, headers={"origin": "http://evil.example"}):
        pass
    assert exc.value.code == 1008
    with client.websocket_connect(WS, headers={"origin": BASE}) as ws:  # the page's own origin
        assert Page(ws).send({"type": "tick"})["type"] == "error"


def test_remote_clients_are_served_only_when_allowed(tmp_path: Path) -> None:
    settings = AppSettings(out_dir=tmp_path, exercise_ids=("squat",), allow_remote=True)
    with TestClient(create_app(settings), base_url="http://192.168.1.5:8765",
                    client=("192.168.1.20", 4000)) as c:
        assert c.get("/phone/api/program").status_code == 200


# -- the protocol ------------------------------------------------------------------------------
def test_frame_packets_round_trip_and_bad_packets_are_protocol_errors() -> None:
    header = FrameHeader(seq=3, t_ms=12.5, sent_ms=20.0, dropped=1)
    got, jpeg = parse_frame(pack_frame(header, b"JPEG"), max_bytes=1000)
    assert got == header and jpeg == b"JPEG"
    for bad in (b"", b"\x01\x00", b"\xff\xff\x00\x00{}", b"\x02\x00\x00\x00{}" + b"x" * 2000,
                pack_frame(header, b"")[:4] + b'{"seq": -1, "t_ms": 0, "sent_ms": 0}'):
        with pytest.raises(ProtocolError):
            parse_frame(bad[:4] + bad[4:], max_bytes=1000)


def test_messages_before_hello_and_bad_messages_get_errors_not_a_crash(
        client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        page = Page(ws)
        assert "hello" in page.send({"type": "pain", "value": 3})["message"]
        assert page.frame(_jpeg())["type"] == "error"
        ws.send_text("not json")
        assert ws.receive_json()["type"] == "error"
        assert page.send({"type": "dance"})["type"] == "error"
        assert page.send({"type": "hello", "pose": "gpu"})["type"] == "error"
        assert page.send({"type": "hello", "pose": "server", "exercise": "lunge"})[
            "message"].endswith("is not offered here")
        assert "pick" in page.send({"type": "hello", "pose": "browser"})["message"]
        page.start()
        assert "value" in page.send({"type": "pain", "value": 11})["message"]
        assert "already said hello" in page.send(
            {"type": "hello", "pose": "server", "exercise": "squat"})["message"]


def test_a_corrupt_frame_gets_an_error_and_the_session_goes_on(
        client: TestClient, stub: StubEstimator) -> None:
    with client.websocket_connect(WS) as ws:
        page = Page(ws)
        page.start()
        reply = page.frame(b"\xff\xd8 not really a jpeg")
        assert reply["type"] == "error" and reply["seq"] == 1 and "decode" in reply["message"]
        ws.send_bytes(b"\x00\x00")
        assert ws.receive_json()["type"] == "error"
        reply = page.frame(_jpeg())
        assert reply["type"] == "result" and reply["seq"] == 2
        assert reply["landmarks"] is None and reply["setup_message"]  # nobody in view
        assert reply["latency_ms"] > 0 and reply["pose_ms"] >= 0  # timed here
    assert len(stub.timestamps) == 1
    deadline = time.monotonic() + 5.0
    while not stub.closed and time.monotonic() < deadline:  # released on its worker thread
        time.sleep(0.01)
    assert stub.closed


def test_frames_get_increasing_millisecond_timestamps_and_stale_ones_are_skipped(
        client: TestClient, stub: StubEstimator) -> None:
    with client.websocket_connect(WS) as ws:
        page = Page(ws)
        page.start()
        for t in (5000.0, 5033.4, 5066.6):
            assert page.frame(_jpeg(), t_ms=t)["type"] == "result"
        reply = page.frame(_jpeg(), t_ms=5050.0)  # older than the last one
        assert reply["type"] == "skipped" and reply["seq"] == 4
    assert stub.timestamps == [0, 33, 67]


def test_frames_outside_a_set_are_skipped_with_the_status(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        page = Page(ws)
        page.start(pain=None)
        reply = page.frame(_jpeg())
        assert reply["type"] == "skipped" and reply["status"]["state"] == "pain_before"


def test_pain_next_and_rest_move_the_flow_and_the_record_is_saved(
        client: TestClient, saved: list[dict[str, Any]], tmp_path: Path) -> None:
    with client.websocket_connect(WS) as ws:
        page = Page(ws)
        session = page.start(pain=2)
        assert page.frame(_jpeg(), dropped=4)["status"]["set"] == 1
        rest = page.send({"type": "next"})["status"]
        assert rest["state"] == "rest" and rest["set"] == 2 and rest["rest_remaining_s"] > 25
        assert page.send({"type": "tick"})["status"]["state"] == "rest"
        assert page.send({"type": "next"})["status"]["state"] == "active"  # skip the rest
        assert page.send({"type": "next"})["status"]["state"] == "pain_after"
        status = page.send({"type": "pain", "value": 4})
        assert status["status"]["state"] == "summary" and status["seq"] == page.seq - 1
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
        page = Page(ws)
        page.start(pain=1)
        page.frame(_jpeg())
        assert page.send({"type": "stop"})["status"]["state"] == "pain_after"
        page.send({"type": "skip_pain"})
        summary = ws.receive_json()
    record = json.loads(Path(summary["saved_to"]).read_text())
    assert record["stopped_early"] is True and record["pain_after"] is None
    assert len(record["exercises"][0]["sets"]) == 1


@pytest.mark.parametrize("pose", ["server", "browser"])
def test_closing_the_page_mid_set_saves_the_session_and_a_reconnect_gets_its_summary(
        client: TestClient, saved: list[dict[str, Any]], pose: str) -> None:
    with client.websocket_connect(WS) as ws:
        page = Page(ws)
        session = page.start(pain=3, pose=pose)
        if pose == "server":
            page.frame(_jpeg())
        else:
            page.ws.send_bytes(_landmarks(page.next_seq()))
            assert page.ws.receive_json()["type"] == "result"
    (record,) = saved
    assert record["stopped_early"] is True and record["stop_reason"] == "page closed"
    assert record["pain_before"] == 3 and record["processed_frames"] == 1
    with client.websocket_connect(WS) as ws:  # link.js reconnects with the session id
        again = Page(ws).send({"type": "hello", "pose": pose,
                               "session_id": session["session_id"]})
        assert again["type"] == "session" and again["summary"]["total_reps"] == 0
        assert again["summary"]["saved_to"]
    with client.websocket_connect(WS) as ws:
        gone = Page(ws).send({"type": "hello", "pose": pose, "session_id": str(uuid.uuid4())})
        assert gone["type"] == "refused"


def test_landmarks_from_the_browser_run_the_same_session_and_are_saved(
        client: TestClient, saved: list[dict[str, Any]], stub: StubEstimator) -> None:
    with client.websocket_connect(WS) as ws:
        page = Page(ws)
        session = page.start("bridge", pain=None, pose="browser")
        assert session["plans"][0]["id"] == "bridge" and session["received"] == -1
        assert page.send({"type": "pain", "value": 2})["status"]["state"] == "active"
        for _ in range(3):
            ws.send_bytes(_landmarks(page.next_seq()))
            reply = ws.receive_json()
            assert reply["type"] == "result" and reply["setup_message"]  # nobody in view
            assert set(reply) >= {"reps", "signal_value", "state", "cue", "status"}
        ws.send_bytes(b"\x01" * 40)
        assert ws.receive_json()["type"] == "error"
        for _ in range(3):  # end set 1, skip the rest, end set 2
            status = page.send({"type": "next"})["status"]
        assert status["state"] == "pain_after"
        assert page.send({"type": "pain", "value": 1})["status"]["state"] == "summary"
        summary = ws.receive_json()
    assert summary["type"] == "summary" and Path(summary["saved_to"]).is_file()
    (record,) = saved
    assert record["processed_frames"] == 3 and record["pain_after"] == 1
    assert record["exercises"][0]["backend"] == "mediapipe-web"
    assert stub.timestamps == []  # the app ran no pose


def test_a_pain_rating_at_the_stop_threshold_ends_the_session(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        page = Page(ws)
        page.start(pain=None)
        assert page.send({"type": "pain", "value": 9})["status"]["state"] == "pain_after"


def test_program_mode_runs_the_whole_program(tmp_path: Path, stub: StubEstimator) -> None:
    from hepvision.live.program import load_program

    program = tmp_path / "program.toml"
    program.write_text('[[exercise]]\nid = "squat"\nsets = 1\nreps = 0\n\n'
                       '[[exercise]]\nid = "bridge"\nsets = 1\nreps = 0\nrest_s = 5\n')
    settings = AppSettings(out_dir=tmp_path, program=load_program(program),
                           estimator_factory=lambda: stub)
    with TestClient(create_app(settings), base_url=BASE, client=LOCAL_CLIENT) as c:
        assert c.get("/phone/api/program").json()["mode"] == "program"
        with c.websocket_connect(WS) as ws:
            page = Page(ws)
            session = page.start(exercise=None, pain=None)
            assert [p["id"] for p in session["plans"]] == ["squat", "bridge"]
            page.send({"type": "skip_pain"})
            status = page.send({"type": "next"})["status"]
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
        page = Page(ws)
        page.start(exercise="bridge")
        reply = page.frame(_jpeg(img))
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
