"""The patient's phone in a real browser: ``hepvision serve`` as a subprocess, headless Debian
Chromium in mobile emulation (360x640, touch) with a shared clip as its camera.

The page enrols with the code of the dashboard's QR link, shows today's program, runs
BlazePose in the browser (MediaPipe Tasks Vision, vendored; the WASM CPU delegate, since this
machine's WebGL is software), and sends only landmarks; the server's analysis counts and the
session is stored as an upload from that device. Its reps must equal ``hepvision track`` on
the same clip (``track`` runs the ONNX backend on every frame; the page poses the newest
camera frame whenever it is free, so on a loaded 2-core machine it sees 4-15 frames a second).
The analysis needs enough poses per repetition: on the chosen clips (slow repetitions, 3-4 s)
every 8th frame of the clip (3-4 poses/s) still counts all or all but one repetition in
Python, while a clip with 2.5 s repetitions (shoulder_abduction_front_seated_sagor: 7 with
every frame, 5 with every 4th, 0 with every 8th) does not; a run posing fewer than
``MIN_POSED_FPS`` a second fails as too starved to compare, loudly. The network-cut test
asserts the exact invariant (the stored count equals the count of the very frames the page
posed, replayed in one go: the cut changed nothing) and compares with ``track`` (within one)
from ``FRONT_TRACK_FPS`` poses a second. (With the page's pool of 3 workers, 7.6-14.2 poses/s:
the squat clip counted like ``track`` in every run, the lunge clip in 12 of 13.)

One pass of the clip, as in tests/test_browser_app.py: the .y4m holds 1 s of black, the clip,
then 2 s of black, and the set ends once the page's camera clock has run through the clip.

Skips: without /usr/bin/chromium, without Playwright, without the shared clips.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import cv2
import numpy as np
import pytest

from hepvision.phone.wire import parse_frame
from tests.phone_support import (
    BROWSER_ARGS,
    CHROMIUM,
    EMAIL,
    MOBILE,
    PASSWORD,
    Server,
    run_server,
    track_reps,
)
from tests.support.fakecam import FakeClip, clip_to_y4m

LEAD_S, TAIL_S, END_AFTER_CLIP_S = 1.0, 2.0, 0.7
MIN_POSED_FPS = 2.5
#: the front clip counts like track from this many poses/s (Python: 5 of 5 on every 4th
#: frame, 4 on every 8th); below it the network-cut test compares with the exact replay only
FRONT_TRACK_FPS = 5.0
SKELETON_RGB = np.array([80, 200, 80])  # draw.js SKELETON_COLOR
SQUAT = ("squat_wall_side_letterboxed_joelo.mp4", "squat")
FRONT = ("lunge_reverse_front_ven.mp4", "lunge")
#: where the README's screenshot comes from (copied by hand into docs/)
SCREENSHOT = Path("/tmp/hv_phone.png")

if not CHROMIUM.is_file():
    pytest.skip("/usr/bin/chromium is missing (run .ci/browser.sh to install Debian's chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="Playwright for Python is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with run_server(tmp_path_factory.mktemp("phone-server")) as srv:
        yield srv


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        yield p


def _clip(shared_videos: Path, name: str, tmp_path: Path) -> tuple[Path, FakeClip]:
    video = shared_videos / name
    if not video.is_file():
        pytest.skip(f"{name} is not in ../shared/data/videos")
    return video, clip_to_y4m(video, tmp_path / "clip.y4m", lead_s=LEAD_S, tail_s=TAIL_S)


class PhoneRun:
    """One patient's session on the phone page, with every request the page made."""

    def __init__(self, playwright: Any, server: Server, clip: FakeClip) -> None:
        self.server = server
        self.clip = clip
        self.browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=[*BROWSER_ARGS, f"--use-file-for-fake-video-capture={clip.path}"])
        self.context = self.browser.new_context(**MOBILE)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("websocket", lambda ws: self.requests.append(ws.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.sent: dict[int, bytes] = {}  # landmark frames by seq (a resent one kept once)
        self.page.on("websocket", lambda ws: ws.on("framesent", self._sent))

    def _sent(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            self.sent.setdefault(parse_frame(payload).seq, payload)

    def enrol_and_start(self, code: str) -> Any:
        """Open the QR code's link, wait for the model, start, rate pain 2; returns the page
        response (for its headers)."""
        page = self.page
        response = page.goto(f"{self.server.base}/phone/#code={code}")
        page.wait_for_selector("#start:not([disabled])", timeout=90_000)
        page.tap("#start")
        page.wait_for_selector('body[data-state="pain_before"]')
        page.tap('#pain-scale button[data-value="2"]')
        page.wait_for_selector('body[data-state="active"]')
        return response

    def camera_at(self, ms: float) -> None:
        self.page.wait_for_function("(t) => window.hv.cameraElapsedMs() >= t", arg=ms,
                                    polling=50, timeout=int(ms + 60_000))

    def finish(self) -> dict[str, Any]:
        """End the set after the clip, rate pain 3; returns the page's summary."""
        page = self.page
        self.camera_at(1000 * (self.clip.lead_s + self.clip.clip_s + END_AFTER_CLIP_S))
        self.stats = page.evaluate("() => window.hv.stats()")
        page.tap("#next")
        page.wait_for_selector('body[data-state="pain_after"]')
        page.tap('#pain-scale button[data-value="3"]')
        page.wait_for_function("() => window.hv.summary() !== null", timeout=30_000)
        summary: dict[str, Any] = page.evaluate("() => window.hv.summary()")
        return summary

    def close(self) -> None:
        self.browser.close()


def _reps(record: dict[str, Any]) -> int:
    return sum(s["reps"] for e in record["exercises"] for s in e["sets"])


def _off_origin(requests: list[str], base: str) -> list[str]:
    host = urlsplit(base).netloc
    return [u for u in requests if urlsplit(u).scheme not in ("data", "blob")
            and urlsplit(u).netloc != host]


def test_phone_set_counts_like_track_and_stays_on_its_origin(
        server: Server, playwright: Any, shared_videos: Path, tmp_path: Path) -> None:
    name, exercise = SQUAT
    video, clip = _clip(shared_videos, name, tmp_path)
    expected = track_reps(video, exercise)
    patient_id, code = server.patient("Pat Squat", exercise)
    run = PhoneRun(playwright, server, clip)
    try:
        response = run.enrol_and_start(code)
        _screenshot(run, video, tmp_path)
        _landscape(run)
        summary = run.finish()
        assert run.page.evaluate("() => localStorage.getItem('hepvision.device')") is not None
        assert "#code" not in run.page.url  # the one-time code left the address bar
    finally:
        run.close()
    stats = run.stats
    detail = f"{name}: phone {summary['total_reps']}, track {expected}; page {stats}"
    print(detail)
    assert not run.errors, run.errors
    # privacy: the policy, and every request the page made stayed on the server's origin
    csp = response.headers["content-security-policy"]
    assert "connect-src 'self'" in csp and "'wasm-unsafe-eval'" in csp
    assert "default-src 'self'" in csp and "https:" not in csp
    assert _off_origin(run.requests, server.base) == []
    assert any(u.endswith("/phone/model/pose_landmarker_full.task") for u in run.requests)
    assert any(u.endswith("/phone/ws") for u in run.requests)
    # the count, and one stored session with the same count
    assert stats["posed_fps"] >= MIN_POSED_FPS, f"too starved to compare: {detail}"
    # no graphics chip here: the CPU delegate, posing in a pool of workers (pose_worker.js)
    assert stats["delegate"].startswith("CPUx"), stats
    assert summary["total_reps"] == expected, detail
    (record,) = server.sessions(patient_id)
    assert _reps(record) == expected and record["session_id"] == summary["session_id"]
    assert (record["pain_before"], record["pain_after"]) == (2, 3)
    (ex,) = record["exercises"]
    assert ex["backend"] == "mediapipe-web" and ex["exercise_id"] == exercise
    assert set(ex["model_sha256"]) == {"pose_landmarker_full.task"}
    assert record["prescription_version"] == 1
    _dashboard_shows(playwright, server, patient_id, record)


def test_a_network_cut_mid_set_loses_nothing(
        server: Server, playwright: Any, shared_videos: Path, tmp_path: Path) -> None:
    name, exercise = FRONT
    video, clip = _clip(shared_videos, name, tmp_path)
    expected = track_reps(video, exercise)
    patient_id, code = server.patient("Pat Front", exercise)
    run = PhoneRun(playwright, server, clip)
    try:
        run.enrol_and_start(code)
        run.camera_at(1000 * (clip.lead_s + 0.35 * clip.clip_s))
        run.context.set_offline(True)
        time.sleep(5.0)
        offline = run.page.evaluate("() => [window.hv.online(), window.hv.stats().pending]")
        stored = run.page.evaluate("() => window.hv.outboxStored()")
        run.context.set_offline(False)
        summary = run.finish()
        connections = run.page.evaluate("() => window.hv.connections()")
    finally:
        run.close()
    detail = f"{name}: phone {summary['total_reps']}, track {expected}; page {run.stats}"
    print(f"{detail}; offline {offline}, connections {connections}")
    assert not run.errors, run.errors
    assert offline[0] is False and offline[1] > 10, offline  # the page kept posing, buffered
    assert stored >= offline[1] - 2, (stored, offline)  # ... in IndexedDB
    assert connections >= 2  # it reconnected and resumed the session
    # the same result as without the cut: the frames the page posed, analysed in one go
    replayed = _replay_reps(run.sent, exercise, tmp_path)
    assert summary["total_reps"] == replayed, f"{detail}; replayed {replayed}"
    if run.stats["posed_fps"] >= FRONT_TRACK_FPS:
        # Within one of track: the page's pool of landmarkers (each tracking from its own
        # pose three frames back, benchmarks/pose_pool.py) counted this clip 5 (track 5) in
        # 12 of 13 real-time runs and 6 in one (benchmarks/README.md, Phone). The exact
        # comparison with track is the squat test's.
        assert abs(summary["total_reps"] - expected) <= 1, detail
    records = server.sessions(patient_id)
    assert [r["session_id"] for r in records] == [summary["session_id"]]  # stored once
    assert _reps(records[0]) == summary["total_reps"]


def _replay_reps(sent: dict[int, bytes], exercise: str, tmp_path: Path) -> int:
    """The count of the page's landmark frames replayed through ``track`` (the same
    analysis, every frame once, in order, at the frames' own times)."""
    from dataclasses import replace

    from hepvision.pose.recording import save_recording
    from hepvision.session.track import TrackOptions, track

    frames = [parse_frame(sent[k]) for k in sorted(sent)]
    t0 = frames[0].t_ms
    poses = [replace(f.pose, timestamp_ms=round(f.t_ms - t0)) for f in frames]
    path = save_recording(tmp_path / "sent.npz", poses, fps=10.0)
    return track(path, TrackOptions(exercise=exercise)).total_reps


def _screenshot(run: PhoneRun, video: Path, tmp_path: Path) -> None:
    """Mid-set: the skeleton is drawn over the camera image and the count is on screen."""
    page = run.page
    page.wait_for_function(
        "() => { const r = window.hv.lastResult(); return r && r.landmarks && r.reps >= 1; }",
        polling=50, timeout=60_000)
    shot = tmp_path / "phone.png"
    page.screenshot(path=str(shot), scale="css")
    shutil.copyfile(shot, SCREENSHOT)
    raw = cv2.imread(str(shot))
    assert raw is not None
    img = raw[:, :, ::-1]
    assert img.shape[:2] == (640, 360)
    box = page.locator("#stage").bounding_box()
    x, y, w, h = (round(box[k]) for k in ("x", "y", "width", "height"))
    stage = img[y:y + h, x:x + w]
    green = int((np.abs(stage.astype(int) - SKELETON_RGB).max(axis=2) <= 12).sum())
    assert green > 100, green
    assert page.locator("#count").is_visible()


def _landscape(run: PhoneRun) -> None:
    """Turned sideways (640x360): the picture and the panel side by side, both in view."""
    page = run.page
    page.set_viewport_size({"width": 640, "height": 360})
    stage = page.locator("#stage").bounding_box()
    panel = page.locator(".panel").bounding_box()
    assert stage is not None and panel is not None
    assert panel["x"] >= stage["x"] + stage["width"] - 1 and stage["width"] >= 300
    assert page.locator("#next").is_visible()
    page.set_viewport_size(MOBILE["viewport"])  # type: ignore[arg-type]


def _dashboard_shows(playwright: Any, server: Server, patient_id: int,
                     record: dict[str, Any]) -> None:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                         args=["--no-sandbox"])
    try:
        page = browser.new_page()
        page.goto(f"{server.base}/login")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{server.base}/patients")
        page.goto(f"{server.base}/patients/{patient_id}")
        link = page.locator(f'a[href="/patients/{patient_id}/sessions/{record["session_id"]}"]')
        assert link.count() == 1
        row = page.locator("#session-table tbody tr").first.inner_text()
        assert f"1 × {_reps(record)}" in row, row
    finally:
        browser.close()
