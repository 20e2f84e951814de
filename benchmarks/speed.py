"""Pipeline speed on the shared clips at 640x480 and 1280x720.

Each shared clip is re-encoded (MPEG-4 part 2, the encoder OpenCV's wheel ships) at both
sizes into a temporary folder, then measured with the same code as ``hepvision bench speed``:
decode on a reader thread, pose, everything after pose. Columns: wall ms (decode, pose median
and p95, after pose), pose and pipeline fps, their ratio, then CPU ms per frame (all threads)
and the cores it would take at 30 fps.

    python benchmarks/speed.py [--backend onnx] [--model auto] [--max-frames 300]
                               [--clips a.mp4 b.mp4]

Prints a table and writes benchmarks/results/speed_<backend>.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import cv2

from hepvision.evaluation.speed import measure_speed

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = ROOT.parent / "shared" / "data" / "videos"
SIZES = ((640, 480), (1280, 720))


def reencode(src: Path, dst: Path, size: tuple[int, int], max_frames: int) -> Path:
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    n = 0
    while n < max_frames:
        ok, frame = cap.read()
        if not ok:
            break
        writer.write(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
        n += 1
    writer.release()
    cap.release()
    return dst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="onnx", choices=("onnx", "mediapipe"))
    parser.add_argument("--model", default="auto")
    parser.add_argument("--max-frames", type=int, default=300)
    parser.add_argument("--clips", nargs="*", help="clip names in ../shared/data/videos")
    args = parser.parse_args()
    if not VIDEOS.is_dir():
        print("../shared/data/videos is absent: nothing to measure", file=sys.stderr)
        return 1
    clips = [VIDEOS / c for c in args.clips] if args.clips else sorted(VIDEOS.glob("*.mp4"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for clip in clips:
            for w, h in SIZES:
                video = reencode(clip, Path(tmp) / f"{clip.stem}_{w}x{h}.mp4", (w, h),
                                 args.max_frames)
                r = measure_speed(video, backend=args.backend, model=args.model)
                r["clip"] = clip.name
                rows.append(r)
                s = r["stages"]
                print(f"{clip.name:<52}{w}x{h:<6}{s['decode']['median_ms']:>7.2f}"
                      f"{s['pose']['median_ms']:>7.2f}{s['pose']['p95_ms']:>7.2f}"
                      f"{s['after_pose']['median_ms']:>7.3f}{r['pose_fps']:>7.1f}"
                      f"{r['pipeline_fps']:>7.1f}{r['ratio']:>6.2f}"
                      f"{r['cpu']['cpu_ms_per_frame']:>7.2f}"
                      f"{r['cpu']['cpu_ms_per_frame'] * 30 / 1000:>6.2f}", flush=True)
    out = ROOT / "benchmarks" / "results" / f"speed_{args.backend}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2) + "\n")
    for w, h in SIZES:
        sel = [r for r in rows if (r["width_px"], r["height_px"]) == (w, h)]
        if sel:
            print(f"{w}x{h}: min pipeline_fps={min(r['pipeline_fps'] for r in sel):.1f} "
                  f"median={sorted(r['pipeline_fps'] for r in sel)[len(sel) // 2]:.1f} "
                  f"min ratio={min(r['ratio'] for r in sel):.3f}")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
