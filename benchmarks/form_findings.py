"""Form findings on the shared real clips: replays cached landmark recordings (from
``hepvision bench reps --cache-dir DIR``; each recording's metadata names its clip) through the
same analysis ``track`` runs, and prints per clip the reps and the findings by rule, plus the
after-pose cost per frame. Writes benchmarks/results/form_findings.json.

    python benchmarks/form_findings.py [--cache-dir /tmp/hvcache] [--labels ../shared/data/videos/labels.csv]
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np

from hepvision.analysis import ExerciseAnalyzer
from hepvision.pose.recording import load_recording
from hepvision.templates import load_template

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache-dir", type=Path, default=Path("/tmp/hvcache"))
    ap.add_argument("--labels", type=Path, default=ROOT.parent / "shared/data/videos/labels.csv")
    ap.add_argument("--holds", type=Path, default=ROOT.parent / "shared/data/videos/holds.csv")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/form_findings.json")
    args = ap.parse_args()
    rows = {}
    for path in (args.labels, args.holds):
        if path.is_file():
            with path.open(newline="", encoding="utf-8") as fh:
                rows.update({r["file"]: r for r in csv.DictReader(fh)})
    clips = []
    costs: list[float] = []
    for rec_path in sorted(args.cache_dir.glob("*.npz")):
        rec = load_recording(rec_path)
        name = Path(str(rec.metadata.get("source", ""))).name
        row = rows.get(name)
        if row is None:
            continue
        analyzer = ExerciseAnalyzer(load_template(row["template"]))
        setup_msgs: dict[str, int] = {}
        for result in rec.results:
            t0 = time.perf_counter()
            fb = analyzer.update(result)
            costs.append(time.perf_counter() - t0)
            if fb.setup_message:
                setup_msgs[fb.setup_message] = setup_msgs.get(fb.setup_message, 0) + 1
        res = analyzer.finish()
        clips.append({
            "file": name, "template": row["template"], "view": row.get("view"),
            "true_reps": int(row["true_reps"]) if row.get("true_reps") else None,
            "true_hold_s": float(row["hold_seconds"]) if row.get("hold_seconds") else None,
            "reps": res.reps, "hold_s": None if res.hold_s != res.hold_s else round(res.hold_s, 1),
            "findings_by_rule": res.findings_by_rule(),
            "findings": [f.to_dict() for f in res.findings],
            "setup_message_frames": setup_msgs,
            "labelled_form_errors": row.get("form_errors") or "",
        })
        held = f" hold={res.hold_s:.1f}s" if res.mode == "hold" else ""
        print(f"{name:<52}{row['template']:<20}reps={res.reps}{held} "
              f"findings={res.findings_by_rule() or '{}'}")
    cost = {"median_us": round(float(np.median(costs)) * 1e6, 1),
            "p95_us": round(float(np.percentile(costs, 95)) * 1e6, 1), "frames": len(costs)}
    print(f"after-pose cost per frame: median {cost['median_us']} us, p95 {cost['p95_us']} us "
          f"over {cost['frames']} frames")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"clips": clips, "update_cost": cost}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
