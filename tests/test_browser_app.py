"""``hepvision app`` in a real browser: headless Chromium with a shared clip as its camera.

The app serves the patient page of ``hepvision serve`` (hepvision/phone/static) in its local
mode. Each test starts the real ``hepvision app`` as a subprocess and drives the page the way
a patient would: pick the exercise, rate pain before, do the set in front of the (fake)
camera, end the set, rate pain after, read the summary. Both pose sources run: ``?pose=server``
(the page sends JPEGs, the app runs ONNX pose) and ``?pose=browser`` (MediaPipe Tasks in the
page, only landmarks sent). The page's count and the saved report's must equal ``track`` on
the same clip.

Exactly one pass of the clip: Chromium's fake camera loops its file, so the .y4m holds
1 s of black, the clip (downscaled to 640 px wide), then 2 s of black. The camera opens
when the set starts; the test ends the set once the page's camera clock (capture times of
the frames it saw, from the first one) has run ``lead + clip + 0.7 s``: that point lies in
the black tail even if the page missed the first few hundred milliseconds, so the set sees
the whole clip once and nothing of the next loop. Black frames have nobody in view, so
they add nothing to the count (``track`` too starts with no history and ends at the clip's
end).

Why the counts agree although the page does not see every frame: with ``server`` the page
sends a frame only after the previous result came back (backpressure); with ``browser`` it
poses the newest frame whenever the model is free. On a busy machine frames are dropped (the
record says how many) and the analysis sees the clip at a lower, irregular rate, with real
capture timestamps. The chosen clips have clear repetitions that last 1.5-4 s, so the count is
unaffected as long as the page gets at least ``MIN_RESULTS_FPS`` results a second (80 % of a
slower clip's rate); in-browser pose on 2 loaded cores gives 10-16 poses/s in its pool of
workers (3-8 on the page's own thread), so that source runs on a clip with slow (3-4 s)
repetitions, which count right from 2.5 poses/s (tests/test_phone.py). Measured at load 5:
server 13.7-18.9 results/s (bridge), browser 15.6-17.7 poses/s (wall squat), both counting as
``track``. Asserted, so a starved run fails loudly instead of comparing noise.

Skips: without /usr/bin/chromium (``.ci/browser.sh`` installs it), without Playwright, or
without the shared clips.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from hepvision.session.serialize import LOCAL_FIELDS, wire_part
from hepvision.wire.session import SessionRecord
from tests.phone_support import CHROMIUM, track_reps
from tests.support.fakecam import CHROMIUM_ARGS, FakeClip, clip_to_y4m

LEAD_S = 1.0
TAIL_S = 2.0
END_AFTER_CLIP_S = 0.7
#: results/s below which a run is too starved to compare (see the module's docstring)
MIN_RESULTS_FPS = {"server": 5.0, "browser": 2.5}
SKELETON_RGB = np.array([80, 200, 80])  # draw.js SKELETON_COLOR

# (pose source, clip, template): clips with clear counts (../shared/data/videos/labels.csv)
CLIPS = [
    ("server", "bridge_side_be2018.mp4", "bridge"),
    ("server", "squat_oblique_front_5fps_mediapipe_golden_tfjs.mp4", "squat"),
    ("browser", "squat_wall_side_letterboxed_joelo.mp4", "squat"),
]
#: the screenshot is taken in these runs (one per pose source)
SCREENSHOT = {("server", "bridge_side_be2018.mp4"), ("browser",
                                                      "squat_wall_side_letterboxed_joelo.mp4")}

if not CHROMIUM.is_file():
    pytest.skip("/usr/bin/chromium is missing (run .ci/browser.sh to install Debian's chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="Playwright for Python is not installed (pip install "
                               "playwright; no `playwright install` needed)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``hepvision app`` on a free port offering the clips' exercises (the patient picks one),
    with ``--pose browser`` (each test's ``?pose=`` overrides it): (base URL, folder the
    sessions are saved to)."""
    home = tmp_path_factory.mktemp("hv_home")
    out_dir = home / "sessions"
    port = _free_port()
    env = {**os.environ, "HEPVISION_HOME": str(home)}
    log = home / "app.log"
    with log.open("w") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hepvision", "app", "--port", str(port), "--sets", "1",
             "--reps", "0", "--pose", "browser", "--out-dir", str(out_dir)],
            env=env, stdout=subprocess.DEVNULL, stderr=log_file)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/phone/api/program", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"hepvision app exited: {log.read_text()}")
                if time.monotonic() > deadline:
                    pytest.fail("hepvision app did not start within 60 s")
                time.sleep(0.2)
        yield base, out_dir
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        yield p


def _skeleton_pixels(rgb: np.ndarray) -> int:
    return int((np.abs(rgb.astype(int) - SKELETON_RGB).max(axis=2) <= 12).sum())


def _run_set(page: Any, base: str, pose: str, exercise: str, clip: FakeClip,
             shot: Path | None) -> tuple[int, dict[str, Any], dict[str, Any], str]:
    """Pick, pain 2, one pass of the clip, end the set, pain 3: (count on screen mid-set's
    end, the page's stats, its summary, the summary's text)."""
    page.goto(f"{base}/?pose={pose}")
    page.locator(f'li[data-exercise="{exercise}"] input').check()
    page.wait_for_selector("#start:not([disabled])", timeout=180_000)  # the model is loaded
    page.click("#start")
    page.wait_for_selector('body[data-state="pain_before"]')
    page.click('#pain-scale button[data-value="2"]')
    page.wait_for_selector('body[data-state="active"]')
    if shot is not None:
        _check_screenshot(page, shot)
    end_ms = 1000 * (clip.lead_s + clip.clip_s + END_AFTER_CLIP_S)
    # (functions, not expression strings: the page's CSP forbids eval)
    page.wait_for_function("(end) => window.hv.cameraElapsedMs() >= end", arg=end_ms,
                           polling=50, timeout=int(end_ms + 60_000))
    page_count = int(page.text_content("#count") or "-1")
    stats = page.evaluate("() => window.hv.stats()")
    page.click("#next")
    page.wait_for_selector('body[data-state="pain_after"]')
    page.click('#pain-scale button[data-value="3"]')
    page.wait_for_function(
        "() => window.hv.summary() !== null || !document.getElementById('error').hidden",
        timeout=60_000)
    summary = page.evaluate("() => window.hv.summary()")
    assert summary is not None, f"no summary; the page says: {page.text_content('#error')}"
    return page_count, stats, summary, page.text_content("#summary-body") or ""


@pytest.mark.parametrize(("pose", "clip_name", "exercise"), CLIPS,
                         ids=[f"{c[0]}-{c[2]}" for c in CLIPS])
def test_page_session_counts_like_track(pose: str, clip_name: str, exercise: str,
                                        shared_videos: Path, app_server: tuple[str, Path],
                                        playwright: Any, tmp_path: Path) -> None:
    video = shared_videos / clip_name
    if not video.is_file():
        pytest.skip(f"{clip_name} is not in ../shared/data/videos")
    base, out_dir = app_server
    expected = track_reps(video, exercise)
    clip = clip_to_y4m(video, tmp_path / "clip.y4m", lead_s=LEAD_S, tail_s=TAIL_S)
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True,
        args=[*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={clip.path}"])
    requests: list[str] = []
    errors: list[str] = []
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        shot = tmp_path / f"hv_app_{pose}.png" if (pose, clip_name) in SCREENSHOT else None
        page_count, stats, summary, summary_text = _run_set(page, base, pose, exercise,
                                                            clip, shot)
    finally:
        browser.close()
    assert not errors, errors
    assert all(u.startswith((base, "data:", "blob:")) for u in requests)
    model = any(u.endswith("/phone/model/pose_landmarker_full.task") for u in requests)
    assert model == (pose == "browser")  # the model is fetched only to pose in the page

    saved_to = Path(summary["saved_to"])
    assert saved_to.parent == out_dir and saved_to.is_file()  # the stored report
    record = json.loads(saved_to.read_text())
    detail = (f"{pose} {clip_name}: page {page_count}, track {expected}; "
              f"{stats['posed']} posed, {stats['dropped']} dropped, "
              f"{stats['posed_fps']:.1f}/s, latency median {stats['latency_ms_median']:.0f} "
              f"ms p95 {stats['latency_ms_p95']:.0f} ms")
    print(detail)
    assert stats["posed_fps"] >= min(MIN_RESULTS_FPS[pose], 0.8 * clip.fps), \
        f"too starved to compare: {detail}"
    assert page_count == expected, detail
    assert record["reps"] == expected and summary["total_reps"] == expected, detail
    assert (record["pain_before"], record["pain_after"]) == (2, 3)
    # a complete record: the wire fields validate, the local metrics are there
    SessionRecord.model_validate(wire_part(record))
    for name in LOCAL_FIELDS:
        assert name in record, name
    assert record["processed_fps"] > 0
    assert 0 < record["latency_ms_median"] <= record["latency_ms_p95"]
    (ex,) = record["exercises"]
    assert ex["exercise_id"] == exercise and ex["sets"][0]["reps"] == expected
    assert ex["backend"] == ("mediapipe-web" if pose == "browser" else "onnx")
    assert record["stopped_early"] is False
    # the summary shows reps per set and ROM per repetition
    assert summary["exercises"][0]["sets"][0]["reps"] == expected
    assert len(summary["exercises"][0]["sets"][0]["rom"]) == expected
    if expected:
        assert summary["exercises"][0]["best_rom"] is not None
        assert "°" in summary_text


def _check_screenshot(page: Any, shot: Path) -> None:
    """Mid-set: the skeleton is drawn over the camera image, the count and the ROM bar are on
    screen."""
    page.wait_for_function(
        "() => { const r = window.hv.lastResult(); return r && r.landmarks && r.reps >= 1; }",
        polling=50, timeout=60_000)
    page.screenshot(path=str(shot))
    shutil.copyfile(shot, Path("/tmp") / shot.name)
    box = page.locator("#stage").bounding_box()
    raw = cv2.imread(str(shot))
    assert raw is not None
    img = raw[:, :, ::-1]
    x, y, w, h = (int(round(box[k])) for k in ("x", "y", "width", "height"))
    drawn = _skeleton_pixels(img[y:y + h, x:x + w])
    assert drawn > 300, drawn
    count = page.locator("#count")
    assert count.is_visible() and int(count.text_content()) >= 1
    assert page.locator("#rom-bar").is_visible()
