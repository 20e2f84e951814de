"""Live engine speed and cost: clips played at real-time pace, as a webcam would deliver them.

Each shared clip is re-encoded at ``--size`` (default 640x480) and 30 fps into a temporary
folder, or played as it is with ``--size native`` (the 20-rep squat clip is 1280x720 H.264 at
29.97 fps: the 720p30 case), and run through the same code as
``hepvision live --video CLIP --no-window --realtime`` (newest-frame grabber, pose, analysis,
session flow). Reports processed fps, dropped frames, capture-to-feedback latency (median,
p95), CPU per frame and cores used (process CPU time / wall time: every thread, decoding
included), resident memory, and the model chosen, per clip; prints a table and writes
benchmarks/results/live_<backend>[_<size>].json.

    python benchmarks/live.py [--backend onnx] [--model auto] [--size native] [--seconds 20]
                              [--clips a.mp4:squat ...]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import cv2

from hepvision.live.program import template_plan
from hepvision.live.run import LiveOptions, run_live
from hepvision.session.serialize import saved_session
from hepvision.templates import load_template

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = ROOT.parent / "shared" / "data" / "videos"
DEFAULT_CLIPS = ("squat_wide_front_20reps_counter_rjsong.mp4:squat",
                 "lunge_splitsquat_side_nowva.mp4:lunge",
                 "shoulder_abduction_front_seated_sagor.mp4:shoulder_abduction")


def to_30fps(src: Path, dst: Path, seconds: float, size: tuple[int, int]) -> Path:
    """Resample to 30 fps (nearest frame) and ``size``, up to ``seconds`` long."""
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    while len(frames) < int(seconds * fps) + 1:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
    cap.release()
    writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, size)
    n_out = int(len(frames) / fps * 30.0)
    for i in range(n_out):
        writer.write(frames[min(len(frames) - 1, int(i * fps / 30.0))])
    writer.release()
    return dst


def run_clip(video: Path, name: str, template_id: str, args: argparse.Namespace,
             label: str) -> dict[str, object]:
    plan = template_plan(load_template(template_id), sets=1, reps=0)
    record = saved_session(run_live((plan,), LiveOptions(
        video=video, backend=args.backend, model=args.model, show_window=False)))
    cpu, model = record["cpu"], record["pose_model"]
    return {"clip": name, "template": template_id, "input": label,
            **{k: record[k] for k in ("processed_frames", "processed_fps", "dropped_frames",
                                      "latency_ms_median", "latency_ms_p95", "reps")},
            "cores": cpu["cores"], "cpu_ms_per_frame": cpu["cpu_ms_per_frame"],
            "cpu_stage_ms": cpu["stage_ms"], "rss_mb_peak": cpu["rss_mb_peak"],
            "rss_growth_pct": cpu["rss_growth_pct"], "pose_model": model,
            "load_average_end": list(os.getloadavg())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="onnx", choices=("onnx", "mediapipe"))
    parser.add_argument("--model", default="auto")
    parser.add_argument("--size", default="640x480", help="WxH, or native")
    parser.add_argument("--seconds", type=float, default=20.0, help="re-encoded length")
    parser.add_argument("--clips", nargs="*", help="CLIP:TEMPLATE pairs in ../shared/data/videos")
    parser.add_argument("--out", type=Path, help="results JSON (default: by backend and size)")
    args = parser.parse_args()
    if not VIDEOS.is_dir():
        print("../shared/data/videos is absent: nothing to measure", file=sys.stderr)
        return 1
    rows = []
    print(f"{'clip':<44}{'input':>10}{'frames':>7}{'fps':>6}{'drop':>5}{'lat_med':>8}"
          f"{'lat_p95':>8}{'reps':>5}{'cores':>6}{'cpu_ms':>7}{'rss':>5}  model")
    with tempfile.TemporaryDirectory() as tmp:
        for pair in args.clips or DEFAULT_CLIPS:
            name, template_id = pair.split(":")
            if args.size == "native":
                cap = cv2.VideoCapture(str(VIDEOS / name))
                label = (f"{int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))}x"
                         f"{int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))}@"
                         f"{cap.get(cv2.CAP_PROP_FPS):.3g}")
                cap.release()
                video = VIDEOS / name
            else:
                w, h = (int(v) for v in args.size.split("x"))
                label = f"{w}x{h}@30"
                video = to_30fps(VIDEOS / name, Path(tmp) / f"{Path(name).stem}.mp4",
                                 args.seconds, (w, h))
            row = run_clip(video, name, template_id, args, label)
            rows.append(row)
            model = row["pose_model"]
            chosen = f"{model['model']}/{model['intra_op_threads']}t" if model else "-"
            print(f"{name[:43]:<44}{label:>10}{row['processed_frames']:>7}"
                  f"{row['processed_fps']:>6.1f}{row['dropped_frames']:>5}"
                  f"{row['latency_ms_median']:>8.1f}{row['latency_ms_p95']:>8.1f}"
                  f"{row['reps']:>5}{row['cores']:>6.2f}{row['cpu_ms_per_frame']:>7.1f}"
                  f"{row['rss_mb_peak']:>5.0f}  {chosen}", flush=True)
    suffix = "" if args.size == "640x480" else f"_{args.size}"
    out = args.out or ROOT / "benchmarks" / "results" / f"live_{args.backend}{suffix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
