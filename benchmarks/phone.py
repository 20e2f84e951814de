"""The phone path in headless Chromium: pose speed, latency, bytes, and browser-vs-Python parity.

Starts the real ``hepvision serve`` (a therapist, a patient with a prescription) and Debian's
headless Chromium in mobile emulation (360x640) with a shared clip as its fake camera, and runs
the patient page as a patient would (enrol, start, set, end). Two measurements:

**speed** (``--seconds`` of a clip at its own rate, 30 frames/s): for each pose delegate, the
WASM CPU one and the WebGL one on Chromium's software WebGL (SwiftShader, the only WebGL this
machine has): poses per second, frame-to-feedback latency (capture time of the frame to the
moment the server's result for it reached the page, median and p95), and the bytes the page
sent on the WebSocket per second of the set (every frame the browser posed is sent).

**parity** (a clip slowed down so that the page poses every frame: the fake camera declares
``--parity-fps`` frames/s): the landmarks the page sent (read off the WebSocket) against the
Python backends' on the same frames (the ``.y4m`` the fake camera plays, read back by OpenCV):
image-landmark distance in pixels (visible landmarks, mean and p99) for MediaPipe Tasks in
Python (same model) and ONNX (the default backend), and the rep count of each set of landmarks
replayed through ``track`` at the clip's own frame times.

Prints tables and writes ``benchmarks/results/phone.json``. Figures depend on the machine and
on whatever else runs on it; the load average is recorded.

    python -m benchmarks.phone [--seconds 20] [--configs CPU,CPU:1,CPU:0,GPU:0] [--skip-speed]
        [--skip-parity] [--parity-clip FILE --parity-exercise squat]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from playwright.sync_api import sync_playwright

from hepvision import __version__
from hepvision.phone.wire import parse_frame
from tests.phone_support import BROWSER_ARGS, CHROMIUM, MOBILE, Server, run_server
from tests.support.fakecam import clip_to_y4m

REPO = Path(__file__).resolve().parents[1]
VIDEOS = REPO.parent / "shared/data/videos"
SPEED_CLIP = VIDEOS / "squat_wide_front_20reps_counter_rjsong.mp4"
PARITY_CLIP = VIDEOS / "squat_oblique_front_5fps_mediapipe_golden_tfjs.mp4"
#: Chromium flags added with --chromium-arg.
EXTRA_ARGS: list[str] = []


class PhonePage:
    """The patient page in Chromium with ``y4m`` as its camera; records WebSocket frames."""

    def __init__(self, pw: Any, server: Server, y4m: Path, delegate: str,
                 workers: str = "") -> None:
        self.browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                          args=[*BROWSER_ARGS, *EXTRA_ARGS,
                                                f"--use-file-for-fake-video-capture={y4m}"])
        self.page = self.browser.new_context(**MOBILE).new_page()
        self.sent: list[tuple[float, bytes]] = []
        self.page.on("websocket", lambda ws: ws.on(
            "framesent", lambda payload: self.sent.append((time.monotonic(), payload))
            if isinstance(payload, bytes) else None))
        self.server = server
        self.query = f"delegate={delegate}" + (f"&workers={workers}" if workers else "")

    def start(self, exercise: str) -> None:
        _, code = self.server.patient(f"Bench {time.monotonic_ns()}", exercise)
        self.page.goto(f"{self.server.base}/phone/?{self.query}#code={code}")
        self.page.wait_for_selector("#start:not([disabled])", timeout=180_000)
        self.page.click("#start")
        self.page.wait_for_selector('body[data-state="pain_before"]')
        self.page.click("#pain-skip")
        self.page.wait_for_selector('body[data-state="active"]')

    def camera_at(self, ms: float) -> None:
        self.page.wait_for_function("(t) => window.hv.cameraElapsedMs() >= t", arg=ms,
                                    polling=50, timeout=int(ms + 600_000))

    def finish(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.page.evaluate("() => window.hv.stats()")
        self.page.click("#next")
        self.page.wait_for_selector('body[data-state="pain_after"]', timeout=120_000)
        self.page.click("#pain-skip")
        self.page.wait_for_function("() => window.hv.summary() !== null", timeout=120_000)
        self.browser.close()
        return stats


def speed(pw: Any, server: Server, config: str, seconds: float, tmp: Path) -> dict[str, Any]:
    """One speed run; ``config`` is DELEGATE[:WORKERS] (the page's choice of workers when
    none is given, 0 for the page's own thread)."""
    delegate, _, workers = config.partition(":")
    clip = clip_to_y4m(SPEED_CLIP, tmp / "speed.y4m", size_px=(640, 480), max_s=seconds + 5)
    page = PhonePage(pw, server, clip.path, delegate, workers)
    page.start("squat")
    t0 = time.monotonic()
    page.camera_at(1000 * seconds)
    span = time.monotonic() - t0
    stats = page.finish()
    frames = [(t, p) for t, p in page.sent if t0 <= t <= t0 + span]
    sizes = [len(p) for _, p in frames]
    return {"delegate": stats["delegate"], "camera_fps": clip.fps, "seconds": round(span, 1),
            "poses_per_s": round(stats["posed_fps"], 2),
            "pose_ms_median": round(stats["pose_ms_median"], 1),
            "dropped": stats["dropped"], "posed": stats["posed"],
            "latency_ms_median": round(stats["latency_ms_median"], 1),
            "latency_ms_p95": round(stats["latency_ms_p95"], 1),
            "ws_bytes_per_s": round(sum(sizes) / span, 1) if span else 0.0,
            "bytes_per_frame_mean": round(float(np.mean(sizes)), 1) if sizes else 0.0,
            "bytes_per_s_at_30fps": round(30 * float(np.mean(sizes)), 1) if sizes else 0.0}


def browser_landmarks(pw: Any, server: Server, video: Path, exercise: str, fps: float,
                      tmp: Path) -> tuple[Path, dict[int, Any]]:
    """The page's landmarks per frame index of ``video`` played at ``fps`` (every frame)."""
    clip = clip_to_y4m(video, tmp / "parity.y4m", lead_s=2 / fps, tail_s=2 / fps, fps=fps)
    assert clip.lead_frames == 2
    page = PhonePage(pw, server, clip.path, "CPU")
    page.start(exercise)
    page.camera_at(1000 * (clip.lead_s + clip.clip_s + 1.5 / fps))
    stats = page.finish()
    frames = [parse_frame(p) for _, p in page.sent]
    if not any(f.pose.detected for f in frames):
        raise SystemExit("the page found nobody in the parity clip")
    t_first = frames[0].t_ms
    by_step = {round((f.t_ms - t_first) * fps / 1000.0): f.pose for f in frames}
    print(f"parity run: {stats['posed']} posed, {stats['dropped']} dropped")
    return clip.path, by_step


def align(web: dict[int, Any], py: dict[int, Any]) -> dict[int, Any]:
    """``web`` (keyed by camera steps from the first frame the page posed) re-keyed by clip
    frame index: the offset where the browser's landmarks best match Python's."""
    best: tuple[float, int] | None = None
    for offset in range(-max(web) - 1, len(py)):
        shifted = {k + offset: p for k, p in web.items()}
        d = distances(shifted, py)
        if d["frames"] >= 0.5 * len(py) and (best is None or d["mean_px"] < best[0]):
            best = (d["mean_px"], offset)
    if best is None:
        raise SystemExit("cannot align the page's frames with the clip's")
    return {k + best[1]: p for k, p in web.items() if 0 <= k + best[1] < len(py)}


def python_landmarks(y4m: Path, lead: int, count: int, backend: str) -> dict[int, Any]:
    from hepvision.capture.frames import Frame
    from hepvision.pose.factory import create_estimator

    cap = cv2.VideoCapture(str(y4m))
    out: dict[int, Any] = {}
    with create_estimator(backend) as est:
        i = -lead
        while i < count:
            ok, img = cap.read()
            if not ok:
                break
            if i >= 0:
                out[i] = est.estimate(Frame(img, 1 + i * 200, i))
            i += 1
    cap.release()
    return out


def distances(a: dict[int, Any], b: dict[int, Any]) -> dict[str, float]:
    d: list[np.ndarray] = []
    for i in sorted(set(a) & set(b)):
        pa, pb = a[i], b[i]
        if not (pa.detected and pb.detected):
            continue
        vis = (pa.landmarks[:, 3] >= 0.5) & (pb.landmarks[:, 3] >= 0.5)
        delta = (pa.pixels() - pb.pixels())[vis]
        d.append(np.hypot(delta[:, 0], delta[:, 1]))
    flat = np.concatenate(d) if d else np.zeros(0)
    return {"frames": len(d), "points": int(flat.size),
            "mean_px": round(float(flat.mean()), 3) if flat.size else float("nan"),
            "p99_px": round(float(np.percentile(flat, 99)), 3) if flat.size else float("nan")}


def replay_reps(poses: dict[int, Any], fps: float, exercise: str, tmp: Path, name: str) -> int:
    """Reps of ``poses`` (frame index -> pose) replayed through ``track`` at the clip's rate."""
    from dataclasses import replace

    from hepvision.pose.recording import save_recording
    from hepvision.session.track import TrackOptions, track

    rows = [replace(poses[i], timestamp_ms=round(i * 1000 / fps)) for i in sorted(poses)]
    path = save_recording(tmp / f"{name}.npz", rows, fps=fps)
    return track(path, TrackOptions(exercise=exercise)).total_reps


def parity(pw: Any, server: Server, video: Path, exercise: str, fps: float,
           tmp: Path) -> dict[str, Any]:
    cap = cv2.VideoCapture(str(video))
    clip_fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    cap.release()
    y4m, steps = browser_landmarks(pw, server, video, exercise, fps, tmp)
    lead = 2
    python = {b: python_landmarks(y4m, lead, 10**6, b) for b in ("mediapipe", "onnx")}
    web = align(steps, python["mediapipe"])
    count = len(python["mediapipe"])
    out: dict[str, Any] = {"clip": video.name, "exercise": exercise, "frames": count,
                           "browser_frames": len(web), "camera_fps": fps}
    reps = {"browser": replay_reps(web, clip_fps, exercise, tmp, "browser")}
    for backend, py in python.items():
        out[f"browser_vs_{backend}"] = distances(web, py)
        reps[backend] = replay_reps(py, clip_fps, exercise, tmp, backend)
    out["reps_all_frames"] = reps
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--configs", default="CPU,CPU:1,CPU:0,GPU:0",
                        help="speed runs, DELEGATE[:WORKERS] each (no WORKERS: the page's "
                        "default; 0: pose on the page's thread)")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-parity", action="store_true")
    parser.add_argument("--chromium-arg", action="append", default=[], metavar="FLAG",
                        help="one more Chromium flag (repeatable), e.g. "
                        "--chromium-arg=--disable-gpu-compositing")
    parser.add_argument("--parity-clip", type=Path, default=PARITY_CLIP)
    parser.add_argument("--parity-exercise", default="squat")
    parser.add_argument("--parity-fps", type=float, default=2.0)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/phone.json")
    args = parser.parse_args()
    EXTRA_ARGS.extend(args.chromium_arg)
    load_before = os.getloadavg()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="hv-phone-bench-") as tmp_name, \
            run_server(Path(tmp_name)) as server, sync_playwright() as pw:
        tmp = Path(tmp_name)
        if not args.skip_speed:
            for config in args.configs.split(","):
                rows.append(speed(pw, server, config, args.seconds, tmp))
                print(rows[-1], f"load {os.getloadavg()}", flush=True)
        par = None if args.skip_parity else parity(
            pw, server, args.parity_clip, args.parity_exercise, args.parity_fps, tmp)
    _print(rows, par)
    payload = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
               "hepvision": __version__, "machine": platform.platform(),
               "cpus": os.cpu_count(), "loadavg_before": load_before,
               "loadavg_after": os.getloadavg(), "speed": rows, "parity": par}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"written {args.out}")
    return 0


def _print(rows: list[dict[str, Any]], par: dict[str, Any] | None) -> None:
    print("\n| delegate | poses/s | pose ms (median) | latency median / p95 ms | "
          "WS bytes/s | bytes/frame | bytes/s at 30 fps |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['delegate']} | {r['poses_per_s']} | {r['pose_ms_median']} | "
              f"{r['latency_ms_median']} / {r['latency_ms_p95']} | {r['ws_bytes_per_s']} | "
              f"{r['bytes_per_frame_mean']} | {r['bytes_per_s_at_30fps']} |")
    if par is None:
        return
    print(f"\nparity on {par['clip']} ({par['browser_frames']} of {par['frames']} frames):")
    for backend in ("mediapipe", "onnx"):
        d = par[f"browser_vs_{backend}"]
        print(f"  browser vs {backend}: mean {d['mean_px']} px, p99 {d['p99_px']} px "
              f"({d['points']} landmarks in {d['frames']} frames)")
    print(f"  reps over every frame: {par['reps_all_frames']}")


if __name__ == "__main__":
    raise SystemExit(main())
