"""``hepvision live`` as a patient uses it: a real window on a virtual display, real keys.

Also the headless kiosk mode, whose count must equal ``hepvision track`` on the same clip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from hepvision.session.track import TrackOptions, track

CLIPS = [
    ("bicep_curl_side_kshitij.mp4", "elbow_flexion"),
    ("front_raise_side_musclewiki_kshitij.mp4", "shoulder_flexion"),
    ("bridge_side_be2018.mp4", "bridge"),
]
SESSION_KEYS = {"session_id", "started_at", "ended_at", "exercises", "pain_before",
                "pain_after", "reps", "processed_fps", "dropped_frames", "latency_ms_median",
                "latency_ms_p95"}


def live_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "hepvision", "live", *args]


@pytest.mark.parametrize(("clip", "template"), CLIPS)
def test_headless_live_count_equals_track(shared_videos: Path, tmp_path: Path, clip: str,
                                          template: str) -> None:
    video = shared_videos / clip
    offline = track(video, TrackOptions(exercise=template))
    out = tmp_path / "session.json"
    proc = subprocess.run(live_cmd("--exercise", template, "--video", str(video), "--no-window",
                                   "--out", str(out), "--pain-before", "1", "--pain-after", "2"),
                          capture_output=True, text=True, timeout=180,
                          env={**os.environ, "HEPVISION_HOME": str(tmp_path / "home")})
    assert proc.returncode == 0, proc.stderr
    record = json.loads(out.read_text())
    assert SESSION_KEYS <= set(record)
    assert record["reps"] == offline.total_reps
    assert record["pain_before"] == 1 and record["pain_after"] == 2
    assert record["exercises"][0]["exercise_id"] == template
    assert record["processed_fps"] > 0 and record["latency_ms_median"] > 0


@pytest.fixture()
def display(tmp_path: Path):
    if not (shutil.which("Xvfb") and shutil.which("xdotool")):
        pytest.skip("Xvfb and xdotool are not installed (apt-get install xvfb xdotool)")
    for number in range(90, 110):
        if not Path(f"/tmp/.X11-unix/X{number}").exists():
            break
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x800x24",
                               "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if time.monotonic() > deadline:
            server.kill()
            pytest.fail("Xvfb did not start")
        time.sleep(0.05)
    yield f":{number}"
    server.terminate()
    server.wait(5)


def xdo(display: str, *args: str) -> str:
    return subprocess.run(["xdotool", *args], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "DISPLAY": display}).stdout.strip()


def test_desktop_window_with_keys(shared_videos: Path, tmp_path: Path, display: str) -> None:
    clip, template = CLIPS[1]
    video = shared_videos / clip
    expected = track(video, TrackOptions(exercise=template)).total_reps
    out, shot = tmp_path / "session.json", tmp_path / "overlay.png"
    env = {**os.environ, "DISPLAY": display, "HEPVISION_HOME": str(tmp_path / "home"),
           "QT_LOGGING_RULES": "*=false"}
    app = subprocess.Popen(live_cmd("--exercise", template, "--video", str(video), "--out",
                                    str(out), "--screenshot", str(shot)),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        window = xdo(display, "search", "--sync", "--name", "^hepvision$").splitlines()[0]
        xdo(display, "windowfocus", window)
        time.sleep(0.5)
        xdo(display, "key", "4")            # pain before: 4
        deadline = time.monotonic() + 60    # the clip plays at real-time pace (~6 s)
        while not shot.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(7.0)
        xdo(display, "key", "1")            # pain after: 1
        time.sleep(0.5)
        xdo(display, "key", "q")            # close the summary
        _, err = app.communicate(timeout=60)
    finally:
        if app.poll() is None:
            app.kill()
    assert app.returncode == 0, err
    record = json.loads(out.read_text())
    assert record["pain_before"] == 4 and record["pain_after"] == 1
    assert record["reps"] == expected
    overlay = cv2.imread(str(shot))
    assert overlay is not None
    skeleton_green = np.all(overlay == (80, 200, 80), axis=2).sum()
    assert skeleton_green > 200, "the skeleton is drawn on the frame"
