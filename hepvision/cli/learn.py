"""``hepvision template learn VIDEO --exercise ID [--patient ID] [--out FILE]``.

Learns a patient's personal template from a demonstration (a video, or a ``.npz`` landmark
recording of one): the first three clear repetitions set the counter's thresholds, the target
ROM, the tempo limit and the hold (:mod:`hepvision.calibration.learn`). The result is the
patient's template overrides (TOML, :func:`hepvision.templates.load_overrides` reads it),
printed or written to ``--out``. A demonstration without three clear repetitions is refused
with the reason (exit 1).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("template", help="a patient's personal template (learn from a "
                       "demonstration)",
                       description="Personal templates: a patient's overrides of an exercise "
                       "template, learned from a demonstration.")
    tsub = p.add_subparsers(dest="template_command", metavar="ACTION", required=True)
    learn = tsub.add_parser(
        "learn", help="learn thresholds, target ROM, tempo and hold from three good "
        "repetitions",
        description="Learn a patient's template overrides from a demonstration of three good "
        "repetitions (the first three clear ones are used): counter start and turn thresholds "
        "with margins, target ROM, tempo and hold. Refuses a demonstration without three "
        "clear repetitions.")
    learn.add_argument("video", type=Path, metavar="VIDEO",
                       help="the demonstration: a video file or a .npz landmark recording")
    learn.add_argument("--exercise", required=True, metavar="ID", help="exercise template id")
    learn.add_argument("--patient", metavar="ID",
                       help="the patient these overrides are for (named in the file)")
    learn.add_argument("--out", type=Path, metavar="FILE",
                       help="write the overrides (TOML) here (default: standard output)")
    learn.add_argument("--backend", default="onnx", choices=("onnx", "mediapipe"),
                       help="pose backend for a video (default: onnx)")
    learn.set_defaults(handler=run_learn)


def run_learn(args: argparse.Namespace) -> int:
    from hepvision.calibration.learn import learn_template
    from hepvision.calibration.overrides_file import overrides_toml
    from hepvision.calibration.source import demonstration_results
    from hepvision.templates import load_template

    template = load_template(args.exercise)
    results = demonstration_results(args.video, args.backend)
    learned = learn_template(results, template)
    for note in learned.notes:
        print(note, file=sys.stderr)
    header = [f"Personal overrides of {template.id!r} learned from {args.video.name}"]
    if args.patient:
        header.append(f"patient: {args.patient}")
    text = overrides_toml(learned.overrides, header)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"overrides written to {args.out}", file=sys.stderr)
    return 0
