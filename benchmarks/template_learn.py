"""Personal templates learned from three repetitions, on the shared clips (issue 13).

For every clip of ``labels.csv`` with at least ``--min-reps`` (5) repetitions: learn the
patient's template from the clip's first three clear repetitions (``hepvision template
learn``'s method, :func:`hepvision.calibration.learn.learn_template`), cut the clip after the
third one, and count the rest with the learned template. The expected count of the rest is
``true_reps - 3 - skipped``, ``skipped`` being the labelled turning points before the first
demonstrated repetition began (a repetition under way when the clip starts, which the learner
does not take as clear but the labels count). ``after_cut_labelled`` (the labelled turning
points after the cut) is kept in the JSON as a cross-check; it differs only where the labels'
times are approximate ("every ~2 s"). Also reported: the learned template's count of the
whole clip against ``true_reps``, and the base template's.

Nothing here is fitted: the learner's shares are fixed in :mod:`hepvision.calibration.learn`.
Pose landmarks come from the ``bench reps`` cache (``~/.cache/hepvision/landmarks``): the
entry for the current pose code when there is one, else the newest entry for the clip (named
in the output), else pose is run and cached.

Run: python benchmarks/template_learn.py [--videos ../shared/data/videos]
(prints a table, writes benchmarks/results/template_learn.json)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from hepvision.analysis import ExerciseAnalyzer
from hepvision.calibration.demonstration import DemonstrationError
from hepvision.calibration.learn import learn_template
from hepvision.evaluation.reps import cached_landmarks, default_cache_dir, read_labels
from hepvision.pose.models import sha256_file
from hepvision.pose.recording import LandmarkRecording, load_recording
from hepvision.pose.types import PoseResult
from hepvision.templates import ExerciseTemplate, load_template

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "template_learn.json"


def recording(video: Path, cache: Path) -> tuple[LandmarkRecording, str]:
    """The clip's landmarks from the cache (see the module doc) and the cache file's name."""
    prefix = sha256_file(video)[:20]
    entries = sorted(cache.glob(f"{prefix}-onnx-*.npz"), key=lambda p: p.stat().st_mtime)
    if entries:
        return load_recording(entries[-1]), entries[-1].name
    return cached_landmarks(video, "onnx", cache), "fresh onnx run"


def count(results: list[PoseResult], template: ExerciseTemplate) -> int:
    analyzer = ExerciseAnalyzer(template)
    for r in results:
        analyzer.update(r)
    return analyzer.finish().reps


def run_clip(video: Path, template_id: str, true_reps: int, events_s: list[float],
             cache: Path) -> dict[str, Any]:
    rec, source = recording(video, cache)
    results = list(rec.results)
    base = load_template(template_id)
    row: dict[str, Any] = {"file": video.name, "template": template_id, "true_reps": true_reps,
                           "landmarks": source, "base_count": count(results, base)}
    try:
        learned = learn_template(results, base)
    except DemonstrationError as exc:
        row.update(status="refused", reason=str(exc), exact=False)
        return row
    cut_ms = learned.used_until_ms
    rest = [r for r in results if r.timestamp_ms > cut_ms]
    skipped = sum(1 for t in events_s if t * 1000.0 < learned.reps[0].start_ms)
    expected = true_reps - len(learned.reps) - skipped
    got = count(rest, learned.template)
    row.update(status="ok", cut_s=cut_ms / 1000.0,
               demo_peaks_s=[r.peak_ms / 1000.0 for r in learned.reps],
               overrides=learned.overrides.model_dump(mode="json", exclude_defaults=True),
               skipped_before_demo=skipped,
               after_cut_labelled=sum(1 for t in events_s if t * 1000.0 > cut_ms),
               rest_expected=expected, rest_counted=got, exact=got == expected,
               whole_counted=count(results, learned.template))
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--videos", type=Path, default=ROOT.parent / "shared" / "data" / "videos")
    ap.add_argument("--min-reps", type=int, default=5)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    labels = args.videos / "labels.csv"
    if not labels.is_file():
        print(f"skipped: {labels} not found (the shared clips are not here)", file=sys.stderr)
        return 0
    rows = []
    for label in read_labels(labels):
        if label.true_reps < args.min_reps or label.template is None:
            continue
        events = [e.center_s for e in label.events.events]
        rows.append(run_clip(args.videos / label.file, label.template, label.true_reps,
                             events, default_cache_dir()))
    print(format_table(rows))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    exact = sum(r["exact"] for r in rows)
    args.out.write_text(json.dumps({"clips": rows, "exact": exact, "n": len(rows)}, indent=2)
                        + "\n", encoding="utf-8")
    print(f"remaining repetitions counted exactly on {exact}/{len(rows)} clips; "
          f"wrote {args.out}")
    return 0


def format_table(rows: list[dict[str, Any]]) -> str:
    head = (f"{'clip':<52}{'true':>5}{'base':>5}{'cut s':>7}{'rest exp':>9}{'rest got':>9}"
            f"{'whole':>6}  verdict")
    lines = [head, "-" * len(head)]
    for r in rows:
        if r["status"] != "ok":
            lines.append(f"{r['file'][:51]:<52}{r['true_reps']:>5}{r['base_count']:>5}"
                         f"  refused: {r['reason']}")
            continue
        lines.append(f"{r['file'][:51]:<52}{r['true_reps']:>5}{r['base_count']:>5}"
                     f"{r['cut_s']:>7.1f}{r['rest_expected']:>9}{r['rest_counted']:>9}"
                     f"{r['whole_counted']:>6}  {'exact' if r['exact'] else 'MISS'}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
