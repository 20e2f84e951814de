"""``hepvision template learn VIDEO --exercise ID [--patient ID] [--out FILE]``.

Learns a patient's personal template from a demonstration (a video, or a ``.npz`` landmark
recording of one): the first three clear repetitions set the counter's thresholds, the target
ROM, the tempo limit and the hold (:mod:`hepvision.calibration.learn`). The result is the
patient's template overrides (TOML, :func:`hepvision.templates.load_overrides` reads it),
printed or written to ``--out``; with ``--patient ID --therapist EMAIL`` (on the server) it
becomes a new version of the patient's prescription (:mod:`hepvision.calibration.prescribe`),
which the patient's device applies and the dashboard shows and edits. A demonstration without three clear repetitions is refused
with the reason (exit 1).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hepvision.errors import HepvisionError



def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("template", help="a patient's personal template (learn from a "
                       "demonstration)",
                       description="Personal templates: a patient's overrides of an exercise "
                       "template, learned from a demonstration.")
    tsub = p.add_subparsers(dest="template_command", metavar="ACTION", required=True)
    from hepvision.cli.server import db_options

    learn = tsub.add_parser(
        "learn", parents=[db_options()], help="learn thresholds, target ROM, tempo and hold from three good "
        "repetitions",
        description="Learn a patient's template overrides from a demonstration of three good "
        "repetitions (the first three clear ones are used): counter start and turn thresholds "
        "with margins, target ROM, tempo and hold. Refuses a demonstration without three "
        "clear repetitions.")
    learn.add_argument("video", type=Path, metavar="VIDEO",
                       help="the demonstration: a video file or a .npz landmark recording")
    learn.add_argument("--exercise", required=True, metavar="ID", help="exercise template id")
    learn.add_argument("--patient", type=int, metavar="ID",
                       help="write the overrides into this patient's prescription on the "
                       "server as a new version (run where the server runs; needs "
                       "--therapist; the exercise must be prescribed)")
    learn.add_argument("--therapist", metavar="EMAIL",
                       help="with --patient: the therapist the new version is recorded under")
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

    if args.patient is not None and not args.therapist:
        raise HepvisionError("--patient needs --therapist EMAIL (the new prescription version "
                             "is recorded under a therapist)")
    template = load_template(args.exercise)
    results = demonstration_results(args.video, args.backend)
    learned = learn_template(results, template)
    for note in learned.notes:
        print(note, file=sys.stderr)
    header = [f"Personal overrides of {template.id!r} learned from {args.video.name}"]
    if args.patient is not None:
        from hepvision.calibration.prescribe import prescription_fields

        header.append(f"patient: {args.patient}")
        hold = learned.overrides.dosage.hold_s if learned.overrides.dosage else None
        write_prescription(args, template.id, prescription_fields(learned, template), hold,
                           f"the personal {template.id} template")
    text = overrides_toml(learned.overrides, header)
    return emit_overrides(args, text)


def emit_overrides(args: argparse.Namespace, text: str) -> int:
    """Write the overrides TOML to ``args.out``, or to standard output when neither ``--out``
    nor ``--patient`` (which stored them in the prescription) was given; exit status 0."""
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"overrides written to {args.out}", file=sys.stderr)
    elif args.patient is None:
        sys.stdout.write(text)
    return 0


def write_prescription(args: argparse.Namespace, exercise_id: str, fields: dict[str, float],
                       hold_s: float | None, what: str) -> None:
    """A new version of the patient's prescription (``args.patient``, recorded under
    ``args.therapist``) with ``fields`` set in ``exercise_id``'s overrides."""
    from hepvision.calibration.prescribe import with_learned
    from hepvision.cli.server import open_db, settings_from
    from hepvision.server.data import accounts, prescriptions
    from hepvision.server.errors import NotFoundError
    from hepvision.server.models import Patient
    from hepvision.server.schemas import PrescriptionCreate

    with open_db(settings_from(args)) as (sessions, _sec), sessions() as db:
        patient = db.get(Patient, args.patient)
        if patient is None:
            raise NotFoundError(f"no patient with id {args.patient}")
        therapist = accounts.therapist_by_email(db, args.therapist)
        current = prescriptions.to_public(prescriptions.current(db, patient.id))
        body = with_learned(current.model_dump(mode="json", include={
            "exercises", "precautions", "notes"}), exercise_id, fields, hold_s)
        row = prescriptions.create_prescription(db, therapist, patient,
                                                PrescriptionCreate.model_validate(body),
                                                prescriptions.known_template_ids())
        print(f"patient {patient.id}: prescription version {row.version} holds {what} "
              f"({', '.join(f'{k} {v:g}' for k, v in fields.items())})", file=sys.stderr)
