"""Soak: a long live session on a looped clip, resident memory and CPU sampled as it runs.

The clip (default the 20-rep squat clip, 1280x720 H.264 at 29.97 fps) is played in a loop at
real-time pace with continuous timestamps, for ``--minutes``, through the live path of
``hepvision live --no-window --realtime`` (newest-frame grabber, pose, analysis, session flow,
the record at the end). The session is ``--sets`` sets of ``--reps`` repetitions with
``--rest`` seconds between them, as a patient would do them (the default: sets of 20, no rest,
enough sets to fill the time); ``--reps 0`` makes it one open-ended set, the worst case for
memory (the analysis keeps each frame's pose until its set ends, for the end-of-set summary).

Every ``--every`` seconds a sampler thread records resident memory, process CPU time and wall
time. Reported: RSS after the warm-up (the first sample at or after 60 s), at the end, its
peak and growth, the least-squares slope (MiB per hour) over the samples after the warm-up,
cores used, dropped frames, latency, repetitions. Writes benchmarks/results/soak.json.

    python benchmarks/soak.py [--minutes 30] [--clip NAME:TEMPLATE] [--model auto]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from hepvision.capture.frames import DecodeClock, Frame
from hepvision.capture.live import LatestFrameGrabber, paced
from hepvision.capture.sources import VideoFileSource
from hepvision.live.flow import SessionFlow
from hepvision.live.program import template_plan
from hepvision.live.run import Headless, drive
from hepvision.live.session import LiveSession
from hepvision.pose.cost import peak_resident_mb, resident_mb
from hepvision.pose.factory import create_estimator
from hepvision.templates import load_template

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = ROOT.parent / "shared" / "data" / "videos"
WARMUP_S = 60.0


def looped(path: Path, seconds: float, clock: DecodeClock) -> Iterator[Frame]:
    """The clip's frames again and again with increasing timestamps, for ``seconds`` of media;
    decoding CPU is added to ``clock``."""
    offset_ms, index = 0, 0
    while offset_ms < seconds * 1000.0:
        with VideoFileSource(path) as src:
            step_ms = int(round(1000.0 / src.fps))
            last_ms, counted = 0, 0.0
            for frame in src:
                clock.add(src.decode.cpu_ms - counted)
                counted = src.decode.cpu_ms
                last_ms = frame.timestamp_ms
                yield frame.retimed(offset_ms + frame.timestamp_ms, index)
                index += 1
                if offset_ms + last_ms >= seconds * 1000.0:
                    return
        offset_ms += last_ms + step_ms


class Sampler:
    """Samples (wall s, RSS MiB, process CPU s) every ``every`` seconds on a thread."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.samples: list[tuple[float, float, float]] = []
        self._stop = threading.Event()
        self._start = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            self.samples.append((time.monotonic() - self._start, resident_mb(),
                                 time.process_time()))
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def memory_figures(samples: list[tuple[float, float, float]]) -> dict[str, float]:
    after = [s for s in samples if s[0] >= WARMUP_S] or samples
    t = np.array([s[0] for s in after])
    rss = np.array([s[1] for s in after])
    slope = float(np.polyfit(t / 3600.0, rss, 1)[0]) if len(after) > 2 else float("nan")
    start, end = float(rss[0]), float(rss[-1])
    return {"rss_mb_after_warmup": round(start, 1), "rss_mb_end": round(end, 1),
            "rss_mb_peak_sampled": round(max(s[1] for s in samples), 1),
            "rss_mb_peak_process": round(peak_resident_mb(), 1),
            "rss_growth_pct": round(100.0 * (end - start) / start, 2),
            "rss_slope_mb_per_hour": round(slope, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--clip", default="squat_wide_front_20reps_counter_rjsong.mp4:squat")
    parser.add_argument("--model", default="auto")
    parser.add_argument("--sets", type=int, help="default: enough to fill the time")
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--rest", type=float, default=0.0)
    parser.add_argument("--every", type=float, default=10.0, help="sampling period, s")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/soak.json")
    args = parser.parse_args()
    name, template_id = args.clip.split(":")
    path = VIDEOS / name
    if not path.is_file():
        print(f"{path} is absent: nothing to measure", file=sys.stderr)
        return 1
    sets = args.sets or (1 if args.reps == 0 else int(args.minutes * 60 / 40) + 2)
    plan = template_plan(load_template(template_id), sets=sets, reps=args.reps,
                         rest_s=args.rest)
    clock = DecodeClock()
    with VideoFileSource(path) as probe:
        fps = probe.fps
    with Sampler(args.every) as sampler, \
            create_estimator("onnx", model=args.model, source_fps=fps) as estimator:
        feed = LatestFrameGrabber(paced(looped(path, args.minutes * 60.0, clock)))
        session = LiveSession(SessionFlow((plan,)), estimator)
        session.engine.stats.cpu.decode = clock
        try:
            drive(session, feed, Headless(None, None))
        finally:
            feed.stop()
            session.engine.stats.dropped = feed.dropped
        # the typed record: a soak may run more sets than an upload allows (20)
        record = session.finish("source ended")
    t = record.timings
    sets_done = [s.analysis.reps for e in record.exercises for s in e.sets]
    pose_model = record.context.pose_model
    result = {"clip": name, "minutes": args.minutes, "sets_planned": sets,
              "reps_per_set": args.reps, "rest_s": args.rest, "sets_done": len(sets_done),
              "reps": record.total_reps, "reps_per_set_done": sets_done,
              "processed_frames": t.processed_frames,
              "processed_fps": round(t.processing_fps, 2), "dropped_frames": t.dropped_frames,
              "latency_ms_median": round(t.latency_ms_median, 2),
              "latency_ms_p95": round(t.latency_ms_p95, 2),
              "cpu": t.cpu.to_dict() if t.cpu is not None else None,
              "pose_model": pose_model.to_dict() if pose_model is not None else None,
              **memory_figures(sampler.samples), "load_average_end": list(os.getloadavg()),
              "samples": [[round(w, 1), round(r, 1), round(c, 2)]
                          for w, r, c in sampler.samples]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k not in ("samples", "cpu",
                                                                    "reps_per_set_done")},
                     indent=1))
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
