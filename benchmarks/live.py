"""Live engine speed: a 640x480 clip at 30 fps played at real-time pace, as a webcam would.

Each shared clip is re-encoded at 640x480 and 30 fps into a temporary folder and run through
the same code as ``hepvision live --video CLIP --no-window`` (newest-frame grabber, pose,
analysis, session flow). Reports processed fps, dropped frames and capture-to-feedback
latency (median, p95) per clip, prints a table and writes benchmarks/results/live.json.

    python benchmarks/live.py [--backend onnx] [--seconds 20] [--clips a.mp4 ...]
"""

from __future__ import annotations

import argparse
import json
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


def to_640x480_30fps(src: Path, dst: Path, seconds: float) -> Path:
    """Resample to 30 fps (nearest frame) and 640x480, up to ``seconds`` long."""
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    while len(frames) < int(seconds * fps) + 1:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(cv2.resize(frame, (640, 480), interpolation=cv2.INTER_AREA))
    cap.release()
    writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (640, 480))
    n_out = int(len(frames) / fps * 30.0)
    for i in range(n_out):
        writer.write(frames[min(len(frames) - 1, int(i * fps / 30.0))])
    writer.release()
    return dst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="onnx", choices=("onnx", "mediapipe"))
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clips", nargs="*", help="CLIP:TEMPLATE pairs in ../shared/data/videos")
    args = parser.parse_args()
    if not VIDEOS.is_dir():
        print("../shared/data/videos is absent: nothing to measure", file=sys.stderr)
        return 1
    rows = []
    print(f"{'clip':<48}{'frames':>7}{'fps':>7}{'dropped':>8}{'lat_med':>8}{'lat_p95':>8}"
          f"{'reps':>5}")
    with tempfile.TemporaryDirectory() as tmp:
        for pair in args.clips or DEFAULT_CLIPS:
            name, template_id = pair.split(":")
            video = to_640x480_30fps(VIDEOS / name, Path(tmp) / f"{Path(name).stem}.mp4",
                                     args.seconds)
            plan = template_plan(load_template(template_id), sets=1, reps=0)
            record = saved_session(run_live((plan,), LiveOptions(
                video=video, backend=args.backend, show_window=False)))
            row = {"clip": name, "template": template_id, "input": "640x480@30",
                   **{k: record[k] for k in ("processed_frames", "processed_fps",
                                             "dropped_frames", "latency_ms_median",
                                             "latency_ms_p95", "reps")}}
            rows.append(row)
            print(f"{name:<48}{row['processed_frames']:>7}{row['processed_fps']:>7.1f}"
                  f"{row['dropped_frames']:>8}{row['latency_ms_median']:>8.1f}"
                  f"{row['latency_ms_p95']:>8.1f}{row['reps']:>5}", flush=True)
    out = ROOT / "benchmarks" / "results" / f"live_{args.backend}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
