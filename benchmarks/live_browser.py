"""Live browser session: processed frames/s, dropped frames and latency of ``hepvision app``.

Starts the real ``hepvision app`` on 127.0.0.1 and headless Chromium (Debian's
/usr/bin/chromium, driven by Playwright) whose fake camera plays a shared clip cut to
``--seconds`` (default 20 s) and centre-cropped to 640x480 at 30 frames/s. The page runs one
open-ended set (pain questions skipped) for that long, then ends it. Reported:

- as the server sees it (the saved session record): processed frames/s, dropped frames (the
  page's count of camera frames it did not send because the previous result had not come
  back yet), latency capture -> feedback ready, median and p95 (capture time = arrival
  minus the time the frame spent in the page, i.e. drawing and JPEG encoding);
- as the page sees it: results/s and the round trip capture -> result received.

Prints a table and writes ``benchmarks/results/live_browser.json``. The numbers depend on
the machine and on whatever else runs on it (Chromium decodes, draws and encodes on the same
cores as the pose model).

    python -m benchmarks.live_browser [--seconds 20] [--clip FILE] [--exercise squat]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import sync_playwright

from hepvision import __version__
from tests.support.fakecam import CHROMIUM_ARGS, clip_to_y4m

REPO = Path(__file__).resolve().parents[1]
CLIP = REPO.parent / "shared/data/videos/squat_wide_front_20reps_counter_rjsong.mp4"
CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(base: str, proc: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/plans", timeout=2):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("hepvision app did not start") from None
            time.sleep(0.2)


def run(clip: Path, exercise: str, seconds: float, backend: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="hv_live_browser_") as tmp:
        work = Path(tmp)
        fake = clip_to_y4m(clip, work / "camera.y4m", size_px=(640, 480), fps=30.0,
                           max_s=seconds + 2.0)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "HEPVISION_HOME": str(work / "home")}
        proc = subprocess.Popen(
            [sys.executable, "-m", "hepvision", "app", "--port", str(port), "--exercise",
             exercise, "--sets", "1", "--reps", "0", "--backend", backend,
             "--out-dir", str(work / "sessions")], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        try:
            _wait_up(base, proc)
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, headless=True,
                    args=[*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={fake.path}"])
                try:
                    page = browser.new_page(viewport={"width": 1280, "height": 800})
                    page.goto(base)
                    page.click("#start")
                    page.wait_for_selector('body[data-state="pain_before"]')
                    page.click("#pain-skip")
                    page.wait_for_selector('body[data-state="active"]')
                    page.wait_for_function("(end) => window.hv.cameraElapsedMs() >= end",
                                           arg=seconds * 1000.0, polling=100,
                                           timeout=int(seconds * 1000 + 60_000))
                    page_stats = page.evaluate("() => window.hv.stats()")
                    page.click("#next")
                    page.wait_for_selector('body[data-state="pain_after"]')
                    page.click("#pain-skip")
                    page.wait_for_function("() => window.hv.summary() !== null")
                    summary = page.evaluate("() => window.hv.summary()")
                finally:
                    browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        record = json.loads(Path(summary["saved_to"]).read_text())
    return {
        "clip": clip.name,
        "camera": {"width_px": fake.width_px, "height_px": fake.height_px, "fps": fake.fps},
        "seconds": seconds,
        "exercise": exercise,
        "backend": backend,
        "reps": record["reps"],
        "server": {k: record[k] for k in ("processed_frames", "processed_fps",
                                          "dropped_frames", "latency_ms_median",
                                          "latency_ms_p95")},
        "page": {"results": page_stats["results"], "results_fps": round(page_stats["fps"], 2),
                 "dropped_frames": page_stats["dropped"],
                 "round_trip_ms_median": round(page_stats["rtt_ms_median"], 1),
                 "round_trip_ms_p95": round(page_stats["rtt_ms_p95"], 1)},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clip", type=Path, default=CLIP)
    ap.add_argument("--exercise", default="squat")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--backend", default="onnx", choices=("onnx", "mediapipe"))
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks/results/live_browser.json")
    args = ap.parse_args()
    if not Path(CHROMIUM).is_file():
        raise SystemExit(f"{CHROMIUM} is missing: run .ci/browser.sh")
    if not args.clip.is_file():
        raise SystemExit(f"{args.clip} is missing (the shared clips live in ../shared)")
    result = run(args.clip, args.exercise, args.seconds, args.backend)
    s, pg = result["server"], result["page"]
    rows = [
        ("processed frames/s", f"{s['processed_fps']:.1f}", f"{pg['results_fps']:.1f}"),
        ("frames processed", str(s["processed_frames"]), str(pg["results"])),
        ("dropped frames", str(s["dropped_frames"]), str(pg["dropped_frames"])),
        ("latency median, ms", f"{s['latency_ms_median']:.0f}",
         f"{pg['round_trip_ms_median']:.0f}"),
        ("latency p95, ms", f"{s['latency_ms_p95']:.0f}", f"{pg['round_trip_ms_p95']:.0f}"),
    ]
    cam = result["camera"]
    print(f"hepvision app, {result['clip']} as a {cam['width_px']}x{cam['height_px']}@"
          f"{cam['fps']:.0f} camera for {result['seconds']:.0f} s ({result['backend']}; "
          f"{result['reps']} reps counted)")
    print(f"{'':<22}{'server':>10}{'page':>10}")
    for name, a, b in rows:
        print(f"{name:<22}{a:>10}{b:>10}")
    print("(server latency: capture -> feedback ready; page: capture -> result received)")
    payload = {"benchmark": "live_browser", "version": __version__,
               "date": datetime.now(UTC).isoformat(timespec="seconds"),
               "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                           "python": platform.python_version(),
                           "chromium": subprocess.run([CHROMIUM, "--version"],
                                                      capture_output=True,
                                                      text=True).stdout.strip()},
               **result}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
