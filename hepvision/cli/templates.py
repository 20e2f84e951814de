"""``hepvision templates list | show ID | validate [PATH]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("templates", help="list, show or validate exercise templates",
                       description="The exercise template library (exercises/*.toml).")
    tsub = p.add_subparsers(dest="templates_command", metavar="ACTION", required=True)
    ls = tsub.add_parser("list", help="one line per template: id, view, side, name")
    ls.set_defaults(handler=run_list)
    show = tsub.add_parser("show", help="print one template as JSON (after validation)")
    show.add_argument("id", metavar="ID")
    show.set_defaults(handler=run_show)
    val = tsub.add_parser("validate", help="validate a template file or folder "
                          "(default: the whole library); exit 1 with one line per bad file")
    val.add_argument("path", nargs="?", type=Path, metavar="PATH")
    val.set_defaults(handler=run_validate)


def run_list(args: argparse.Namespace) -> int:
    from hepvision.templates import HoldCounter, list_templates, load_template

    ids = list_templates()
    width = max(len(tid) for tid in ids) + 2
    for tid in ids:
        t = load_template(tid)
        c = t.counter
        kind = f"hold {c.target_s:g} s" if isinstance(c, HoldCounter) else t.signal_name
        print(f"{tid:<{width}}{t.view:<7}{t.side:<12}{kind:<28}{t.name}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from hepvision.templates import load_template

    t = load_template(args.id)
    json.dump(t.model_dump(mode="json"), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def run_validate(args: argparse.Namespace) -> int:
    from hepvision.errors import TemplateError
    from hepvision.templates import exercises_dir, load_template_file

    path = args.path or exercises_dir()
    files = sorted(path.glob("*.toml")) if path.is_dir() else [path]
    if not files:
        raise TemplateError(f"no .toml templates in {path}")
    bad = 0
    for f in files:
        try:
            load_template_file(f)
        except (TemplateError, OSError) as exc:
            bad += 1
            print(str(exc).replace("\n", " "), file=sys.stderr)
    print(f"{len(files) - bad}/{len(files)} templates valid", file=sys.stderr)
    return 1 if bad else 0
