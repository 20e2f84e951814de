"""``hepvision app``'s page, both pose sources back to back: results/s, latency and CPU.

Starts the real ``hepvision app`` on 127.0.0.1 and headless Chromium (Debian's
/usr/bin/chromium, driven by Playwright) whose fake camera plays a shared clip cut to
``--seconds`` (default 20 s) and centre-cropped to 640x480 at 30 frames/s. For each pose source
of the page (``?pose=browser``: MediaPipe Tasks in the page, landmarks to the app;
``?pose=server``: JPEGs to the app, ONNX pose there), alternating over ``--rounds``, the page
runs one open-ended set (pain questions skipped) for that long, then ends it. Reported per run:

- as the page sees it: results/s (frames the app answered), frame-to-feedback latency (the
  frame's capture time to the app's result for it arriving on the page), median and p95, and
  the camera frames it skipped;
- as the app saved it (the session record): processed frames/s, latency median/p95 (capture
  -> feedback ready in the app), dropped frames, reps;
- CPU during the set: cores used by the app process and by Chromium (all its processes), from
  /proc, and the load average before and after.

Prints a table and writes ``benchmarks/results/live_browser.json``. The numbers depend on the
machine and on whatever else runs on it (Chromium decodes, draws, encodes or poses on the
same cores as the app).

    python -m benchmarks.live_browser [--seconds 20] [--rounds 1] [--pose browser,server]
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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from hepvision import __version__
from tests.support.fakecam import CHROMIUM_ARGS, FakeClip, clip_to_y4m

REPO = Path(__file__).resolve().parents[1]
CLIP = REPO.parent / "shared/data/videos/squat_wide_front_20reps_counter_rjsong.mp4"
CHROMIUM = "/usr/bin/chromium"
TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")


def cpu_s(root: int) -> float:
    """CPU seconds (user + system) of process ``root`` and its live descendants."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) * TICK_S
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo += [p for p, parent in parents.items() if parent == pid]
    return total


def _chromium_pid(fake: Path) -> int:
    """The Chromium browser process playing ``fake`` (its command line names the file)."""
    flag = f"--use-file-for-fake-video-capture={fake}".encode()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and flag in (entry / "cmdline").read_bytes().split(b"\0"):
                return int(entry.name)
        except OSError:
            continue
    raise SystemExit("cannot find the Chromium process")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def app_process(work: Path, exercise: str, backend: str) -> Iterator[tuple[str, int]]:
    """``hepvision app`` offering ``exercise``: (base URL, pid)."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "HEPVISION_HOME": str(work / "home")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hepvision", "app", "--port", str(port), "--exercise", exercise,
         "--sets", "1", "--reps", "0", "--backend", backend, "--out-dir",
         str(work / "sessions")], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/phone/api/program", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("hepvision app did not start") from None
                time.sleep(0.2)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def one_set(pw: Any, base: str, app_pid: int, fake: FakeClip, pose: str,
            seconds: float) -> dict[str, Any]:
    """One set of ``seconds`` camera time on the page with pose source ``pose``."""
    browser = pw.chromium.launch(
        executable_path=CHROMIUM, headless=True,
        args=[*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={fake.path}"])
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{base}/?pose={pose}")
        page.wait_for_selector("#start:not([disabled])", timeout=180_000)
        page.click("#start")
        page.wait_for_selector('body[data-state="pain_before"]')
        page.click("#pain-skip")
        page.wait_for_selector('body[data-state="active"]')
        chromium = _chromium_pid(fake.path)
        load_before = os.getloadavg()
        t0, app0, web0 = time.monotonic(), cpu_s(app_pid), cpu_s(chromium)
        page.wait_for_function("(end) => window.hv.cameraElapsedMs() >= end",
                               arg=seconds * 1000.0, polling=100,
                               timeout=int(seconds * 1000 + 120_000))
        wall = time.monotonic() - t0
        app_cores, web_cores = (cpu_s(app_pid) - app0) / wall, (cpu_s(chromium) - web0) / wall
        stats = page.evaluate("() => window.hv.stats()")
        page.click("#next")
        page.wait_for_selector('body[data-state="pain_after"]')
        page.click("#pain-skip")
        page.wait_for_function("() => window.hv.summary() !== null", timeout=120_000)
        summary = page.evaluate("() => window.hv.summary()")
    finally:
        browser.close()
    record = json.loads(Path(summary["saved_to"]).read_text())
    return {
        "pose": pose, "delegate": stats["delegate"], "reps": record["reps"],
        "page": {"results_per_s": round(stats["posed_fps"], 2), "results": stats["posed"],
                 "skipped_frames": stats["dropped"],
                 "latency_ms_median": round(stats["latency_ms_median"], 1),
                 "latency_ms_p95": round(stats["latency_ms_p95"], 1)},
        "app": {k: record[k] for k in ("processed_frames", "processed_fps", "dropped_frames",
                                       "latency_ms_median", "latency_ms_p95")},
        "cpu_cores": {"app": round(app_cores, 2), "chromium": round(web_cores, 2),
                      "total": round(app_cores + web_cores, 2)},
        "loadavg_before": [round(v, 2) for v in load_before],
        "loadavg_after": [round(v, 2) for v in os.getloadavg()],
    }


def run(clip: Path, exercise: str, seconds: float, backend: str, poses: list[str],
        rounds: int) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="hv_live_browser_") as tmp:
        work = Path(tmp)
        fake = clip_to_y4m(clip, work / "camera.y4m", size_px=(640, 480), fps=30.0,
                           max_s=seconds + 5.0)
        with app_process(work, exercise, backend) as (base, pid), sync_playwright() as pw:
            for r in range(rounds):
                for pose in poses:
                    row = one_set(pw, base, pid, fake, pose, seconds)
                    rows.append({"round": r + 1, **row})
                    _print_row(rows[-1])
    return rows


def _print_row(r: dict[str, Any]) -> None:
    pg, app, cpu = r["page"], r["app"], r["cpu_cores"]
    print(f"{r['pose']:<8}{r['delegate']:<8}{pg['results_per_s']:>8.1f}"
          f"{pg['latency_ms_median']:>9.0f}{pg['latency_ms_p95']:>7.0f}"
          f"{app['latency_ms_median']:>9.0f}{app['latency_ms_p95']:>7.0f}"
          f"{cpu['app']:>7.2f}{cpu['chromium']:>7.2f}{cpu['total']:>7.2f}"
          f"{r['reps']:>6}   load {r['loadavg_before'][0]:.1f}-{r['loadavg_after'][0]:.1f}",
          flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clip", type=Path, default=CLIP)
    ap.add_argument("--exercise", default="squat")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--pose", default="browser,server",
                    help="pose sources to measure, in this order each round")
    ap.add_argument("--backend", default="onnx", choices=("onnx", "mediapipe"),
                    help="the app's pose backend for ?pose=server")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks/results/live_browser.json")
    args = ap.parse_args()
    if not Path(CHROMIUM).is_file():
        raise SystemExit(f"{CHROMIUM} is missing: run .ci/browser.sh")
    if not args.clip.is_file():
        raise SystemExit(f"{args.clip} is missing (the shared clips live in ../shared)")
    print(f"hepvision app, {args.clip.name} as a 640x480@30 camera, {args.seconds:.0f} s a set")
    print(f"{'pose':<8}{'by':<8}{'res/s':>8}{'page ms':>9}{'p95':>7}{'app ms':>9}{'p95':>7}"
          f"{'app':>7}{'chrom':>7}{'cores':>7}{'reps':>6}")
    rows = run(args.clip, args.exercise, args.seconds, args.backend,
               args.pose.split(","), args.rounds)
    print("(page ms: capture -> result on the page; app ms: capture -> feedback ready in the "
          "app; cores: CPU seconds per second of the set)")
    payload = {"benchmark": "live_browser", "version": __version__,
               "date": datetime.now(UTC).isoformat(timespec="seconds"),
               "clip": args.clip.name, "camera": "640x480@30", "seconds": args.seconds,
               "exercise": args.exercise, "backend": args.backend,
               "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                           "python": platform.python_version(),
                           "chromium": subprocess.run([CHROMIUM, "--version"],
                                                      capture_output=True,
                                                      text=True).stdout.strip()},
               "runs": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
