"""Batch throughput on the shared clips: Dask layouts against plain loops of the same shape.

Every shared clip (``../shared/data/videos/*.mp4``) runs through ``process_clip`` (decode, pose,
analysis, report and landmark recording written) into a fresh output folder, first
``--max-frames`` frames of each, in four layouts, back to back so they see the same load:

- ``dask 1x2``: a LocalCluster of one worker process with two threads;
- ``plain 1x2``: one spawned process running the clips on a pool of two threads;
- ``dask 2x1``: a LocalCluster of two worker processes with one thread each;
- ``plain 2x1``: a pool of two spawned processes (``ProcessPoolExecutor``), one clip at a time.

Both kinds get the same worker environment (``WORKER_MALLOC_ENV``) and the same clip order,
and each wall time includes starting and stopping its processes. Dask's overhead = dask wall /
plain wall - 1 for the same layout. Per worker process: peak resident memory (``ru_maxrss``)
and the clips it ran. Per clip: frames and seconds, from which the on-paper estimates in
benchmarks/README.md are made; the pickled size of one clip's result is what the scheduler
moves per task.

    python -m benchmarks.batch_throughput [--max-frames 150] [--repeat 1]

Prints a table and writes benchmarks/results/batch_throughput.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import pickle
import platform
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from hepvision.batch import ClipOptions, EngineOptions, list_clips, map_unordered
from hepvision.batch.engine import WORKER_MALLOC_ENV
from hepvision.batch.outcome import ClipOutcome
from hepvision.batch.run import ClipTask, run_task

ROOT = Path(__file__).resolve().parents[1]
SHARED_VIDEOS = ROOT.parent / "shared" / "data" / "videos"
RESULTS = ROOT / "benchmarks" / "results" / "batch_throughput.json"


def measured_task(task: ClipTask) -> tuple[ClipOutcome, int, float]:
    """``run_task`` plus the process id and its peak resident MiB so far (Linux: KiB)."""
    outcome = run_task(task)
    return outcome, os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _threads_in_one_process(tasks: list[ClipTask]) -> list[tuple[ClipOutcome, int, float]]:
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(measured_task, tasks))


def run_layout(layout: str, tasks: list[ClipTask]) -> list[tuple[ClipOutcome, int, float]]:
    kind, shape = layout.split()
    workers, threads = (int(x) for x in shape.split("x"))
    if kind == "dask":
        engine = EngineOptions(scheduler="local", workers=workers, threads_per_worker=threads,
                               dashboard_address=None)

        def lost(task: ClipTask, exc: BaseException) -> tuple[ClipOutcome, int, float]:
            raise RuntimeError(f"{task.name}: {exc}")

        return list(map_unordered(measured_task, tasks, engine, failed=lost))
    spawn = multiprocessing.get_context("spawn")
    if threads == 1:
        with ProcessPoolExecutor(workers, mp_context=spawn) as pool:
            return list(pool.map(measured_task, tasks))
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        return pool.submit(_threads_in_one_process, tasks).result()


def measure(layout: str, clips: list[Any], options: ClipOptions) -> dict[str, Any]:
    out = Path(tempfile.mkdtemp(prefix="hepvision-batch-bench-"))
    tasks = [ClipTask(str(c.path), str(out), c.name, options) for c in clips]
    load_before = os.getloadavg()
    cpu0, t0 = _cpu_s(), time.perf_counter()
    rows = run_layout(layout, tasks)
    wall_s, cpu_s = time.perf_counter() - t0, _cpu_s() - cpu0
    shutil.rmtree(out)
    outcomes = [r[0] for r in rows]
    frames = sum(o.frames for o in outcomes if o.status == "ok")
    peak: dict[int, float] = {}
    for _, pid, rss in rows:
        peak[pid] = max(peak.get(pid, 0.0), rss)
    return {"layout": layout, "wall_s": round(wall_s, 2), "frames": frames,
            "frames_per_s": round(frames / wall_s, 2), "cpu_s": round(cpu_s, 2),
            "cpu_ms_per_frame": round(1000.0 * cpu_s / frames, 2) if frames else None,
            "errors": [o.name for o in outcomes if o.status != "ok"],
            "peak_rss_mb_per_worker": sorted(round(v, 1) for v in peak.values()),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
            "clips": [{"name": o.name, "frames": o.frames, "wall_s": o.wall_s}
                      for o in outcomes],
            "result_bytes_per_clip": max((len(pickle.dumps(r)) for r in rows), default=0)}


def _cpu_s() -> float:
    """CPU seconds of this process and of its children that have ended (the workers and
    pool processes, reaped when their cluster or pool closes): contention from other
    programs inflates wall time much more than this."""
    own, children = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                      resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-frames", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--startup", action="store_true",
                        help="run each layout with no clips: the cost of starting and stopping "
                        "its processes (written to batch_throughput_startup.json)")
    parser.add_argument("--layouts", default="plain 2x1,dask 2x1,dask 1x2,plain 1x2")
    args = parser.parse_args(argv)
    if not SHARED_VIDEOS.is_dir():
        print(f"skipped: {SHARED_VIDEOS} is absent", file=sys.stderr)
        return 0
    os.environ.update(WORKER_MALLOC_ENV)  # plain pools' children get Dask workers' settings
    clips = [c for c in list_clips(str(SHARED_VIDEOS / "*.mp4"), exercise="squat")]
    options = ClipOptions(exercise="squat", max_frames=args.max_frames)
    if args.startup:
        return _startup(args.layouts.split(","), options)
    runs = []
    for _ in range(args.repeat):
        for layout in args.layouts.split(","):
            runs.append(measure(layout.strip(), clips, options))
            r = runs[-1]
            print(f"{r['layout']:<10} {r['wall_s']:>8.1f} s {r['frames_per_s']:>8.1f} frames/s "
                  f"{r['cpu_ms_per_frame']:>6.1f} CPU ms/frame "
                  f"peak MiB/worker {r['peak_rss_mb_per_worker']} load {r['load_before'][0]}"
                  f"->{r['load_after'][0]}", flush=True)
    summary = _overheads(runs)
    for line in summary["lines"]:
        print(line)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version()},
        "clips": len(clips), "max_frames": args.max_frames, "runs": runs,
        "overhead": summary["overhead"]}, indent=2) + "\n")
    print(f"results written to {RESULTS}")
    return 0


def _startup(layouts: list[str], options: ClipOptions) -> int:
    rows = []
    for layout in layouts:
        r = measure(layout.strip(), [], options)
        rows.append({k: r[k] for k in ("layout", "wall_s", "cpu_s", "load_before")})
        print(f"{r['layout']:<10} start+stop with no clips: {r['wall_s']:.1f} s wall, "
              f"{r['cpu_s']:.1f} s CPU (load {r['load_before'][0]})", flush=True)
    out = RESULTS.with_name("batch_throughput_startup.json")
    out.write_text(json.dumps({"runs": rows}, indent=2) + "\n")
    print(f"results written to {out}")
    return 0


def _overheads(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Dask against the plain loop of the same shape: best wall time, and CPU per frame."""
    best: dict[str, dict[str, float]] = {}
    for r in runs:
        b = best.setdefault(r["layout"], {"wall_s": float("inf"), "cpu_ms": float("inf")})
        b["wall_s"] = min(b["wall_s"], r["wall_s"])
        b["cpu_ms"] = min(b["cpu_ms"], r["cpu_ms_per_frame"])
    overhead: dict[str, dict[str, float]] = {}
    lines = [f"{'layout':<10}{'best wall s':>12}{'CPU ms/frame':>14}"]
    for layout, b in best.items():
        lines.append(f"{layout:<10}{b['wall_s']:>12.1f}{b['cpu_ms']:>14.1f}")
    for shape in ("1x2", "2x1"):
        dask, plain = best.get(f"dask {shape}"), best.get(f"plain {shape}")
        if dask and plain:
            overhead[shape] = {"wall": round(dask["wall_s"] / plain["wall_s"] - 1.0, 4),
                               "cpu": round(dask["cpu_ms"] / plain["cpu_ms"] - 1.0, 4)}
            lines.append(f"dask overhead {shape}: wall {100 * overhead[shape]['wall']:+.1f}%, "
                         f"CPU {100 * overhead[shape]['cpu']:+.1f}%")
    return {"overhead": overhead, "lines": lines}


if __name__ == "__main__":
    sys.exit(main())
