"""The therapist's prescription, as the session runs it.

Once a device is enrolled it holds the current prescription (``prescription.json``, see
:mod:`hepvision.upload.prescription`). :func:`prescribed_program` turns it into today's
session: per exercise, the template with the patient's overrides applied
(:func:`~hepvision.templates.apply_overrides`: target ROM, a ROM cap on the counted angle, the
pain stop, the side, a hold's target) and the dosage (sets, reps capped by
``max_reps_per_set``, hold, rest), after the progression steps reached today. An exercise the
patient picks by hand (:func:`exercise_program`) gets the same overrides when the prescription
has it. Either way the session names the prescription version.

Mapping (prescription -> template overrides):

- ``overrides.target_rom_deg`` -> ``target.rom`` (angle templates);
- ``overrides.max_rom_deg`` -> a ROM cap (``max``) on the counted angle, replacing the
  template's cap on that angle (angle templates);
- ``overrides.pain_stop_nrs`` -> ``precautions.pain_stop_nrs``;
- ``side`` ``left`` / ``right`` -> the template's side (``both`` / ``none`` keep the
  template's own way of working the sides);
- ``hold_s`` (at least 1 s) -> a hold template's ``counter.target_s``;
- ``overrides.counter_start`` / ``counter_turn`` / ``counter_hysteresis`` /
  ``counter_min_amplitude`` (a personal template, ``hepvision template learn``) -> the
  counter's thresholds; ``overrides.rom_limit`` / ``min_rep_s`` -> the limits of the
  template's ``rom`` / ``tempo`` form rules;
- ``overrides.neutral_deg`` (``hepvision calibrate neutral``) -> ``target.neutral`` (angle
  templates).
"""

from __future__ import annotations

import logging
from datetime import date

from pydantic import ValidationError

from hepvision.errors import HepvisionError
from hepvision.live.program import Program, ProgramError, template_plan
from hepvision.session.record import ExercisePlan
from hepvision.templates import (
    AngleCounter,
    CounterOverrides,
    ExerciseTemplate,
    RomCap,
    RuleKind,
    TemplateOverrides,
    apply_overrides,
    load_template,
)
from hepvision.templates.loader import describe_errors
from hepvision.vocabulary import TemplateSide, Unit
from hepvision.wire.prescription import PrescribedExercise, PrescribedOverrides, Prescription

log = logging.getLogger(__name__)


def prescribed_program(prescription: Prescription, today: date) -> Program:
    """Today's session of ``prescription``: every prescribed exercise, in order.

    Raises:
        ProgramError: an exercise this device does not know, or overrides its template refuses.
    """
    days = (today - prescription.created_at.date()).days
    plans = []
    for entry in prescription.exercises:
        template = _load(entry.exercise_id, prescription.version)
        plans.append(prescribed_plan(template, entry, days, prescription.version))
    return Program(tuple(plans), prescription.version)


def exercise_program(template: ExerciseTemplate, prescription: Prescription | None,
                     today: date, *, sets: int | None = None, reps: int | None = None,
                     rest_s: float | None = None) -> Program:
    """One exercise picked by hand: with the patient's overrides and prescribed dosage when the
    prescription has it (the session then names its version); ``sets``, ``reps``, ``rest_s``
    replace the dosage when given."""
    entry = prescription.exercise(template.id) if prescription is not None else None
    if prescription is None or entry is None:
        return Program((template_plan(template, sets=sets, reps=reps, rest_s=rest_s),))
    days = (today - prescription.created_at.date()).days
    plan = prescribed_plan(template, entry, days, prescription.version)
    return Program((ExercisePlan(
        template=plan.template, sets=sets if sets is not None else plan.sets,
        reps=reps if reps is not None else plan.reps, hold_s=plan.hold_s,
        rest_s=rest_s if rest_s is not None else plan.rest_s,
        pain_stop_nrs=plan.pain_stop_nrs),), prescription.version)


def prescribed_plan(template: ExerciseTemplate, entry: PrescribedExercise,
                    days_on_version: int, version: int) -> ExercisePlan:
    """The plan of one prescribed exercise ``days_on_version`` days after the version began."""
    sets, reps, hold_s = entry.sets, entry.reps, entry.hold_s
    steps = [s for s in entry.progression if s.after_days <= days_on_version]
    if steps:
        step = max(steps, key=lambda s: s.after_days)
        sets = step.sets if step.sets is not None else sets
        reps = step.reps if step.reps is not None else reps
        hold_s = step.hold_s if step.hold_s is not None else hold_s
    cap = entry.overrides.max_reps_per_set
    if cap is not None:
        reps = min(reps, cap)
    patient = patient_template(template, entry, hold_s, version)
    return ExercisePlan(
        template=patient, sets=sets, reps=reps, hold_s=hold_s,
        rest_s=entry.rest_s if entry.rest_s is not None else patient.dosage.rest_s,
        pain_stop_nrs=patient.precautions.pain_stop_nrs)


def patient_template(template: ExerciseTemplate, entry: PrescribedExercise, hold_s: float,
                     version: int) -> ExerciseTemplate:
    """``template`` with the prescription's overrides applied (itself when there are none).

    Raises:
        ProgramError: the template refuses them (e.g. a target ROM short of its turn).
    """
    over = entry.overrides
    try:
        changes = TemplateOverrides(
            target_rom=over.target_rom_deg if _reads_degrees(template) else None,
            rom_caps=_caps(template, over.max_rom_deg),
            pain_stop_nrs=over.pain_stop_nrs,
            hold_target_s=hold_s if template.is_hold and hold_s >= 1.0 else None,
            side=TemplateSide(entry.side) if entry.side in ("left", "right") else None,
            counter=_counter(template, over), rule_limits=_rule_limits(template, over),
            neutral=over.neutral_deg if _reads_degrees(template) else None)
    except ValidationError as exc:
        raise ProgramError(f"prescription version {version}: {template.id}: "
                           f"{describe_errors(exc)}") from None
    ignored = [name for name, value in (("target_rom_deg", over.target_rom_deg),
                                        ("max_rom_deg", over.max_rom_deg),
                                        ("neutral_deg", over.neutral_deg))
               if value is not None and not _reads_degrees(template)]
    if ignored:
        log.warning("prescription version %d: %s counts %s, not degrees: %s not applied",
                    version, template.id, template.signal_unit.value, ", ".join(ignored))
    if changes == TemplateOverrides():
        return template
    try:
        return apply_overrides(template, changes, source=f"prescription version {version}")
    except HepvisionError as exc:
        raise ProgramError(str(exc)) from None


def _counter(template: ExerciseTemplate, over: PrescribedOverrides) -> CounterOverrides | None:
    """The personal counter thresholds (None: none, or a hold template)."""
    c = CounterOverrides(start=over.counter_start, turn=over.counter_turn,
                         hysteresis=over.counter_hysteresis,
                         min_amplitude=over.counter_min_amplitude)
    return None if c == CounterOverrides() or template.is_hold else c


def _rule_limits(template: ExerciseTemplate, over: PrescribedOverrides) -> dict[str, float]:
    """``rom_limit`` / ``min_rep_s`` as the limits of the template's rom / tempo rules."""
    by_kind = {RuleKind.ROM: over.rom_limit, RuleKind.TEMPO: over.min_rep_s}
    return {r.id: limit for r in template.form
            if (limit := by_kind.get(r.kind)) is not None}


def _reads_degrees(template: ExerciseTemplate) -> bool:
    return not template.is_hold and template.signal_unit is Unit.DEG


def _caps(template: ExerciseTemplate, max_deg: float | None) -> tuple[RomCap, ...] | None:
    """The template's ROM caps with the one on its counted angle set to ``max_deg`` (None: no
    change)."""
    counter = template.counter
    if max_deg is None or not isinstance(counter, AngleCounter):
        return None
    others = tuple(c for c in template.precautions.rom_caps if c.signal != counter.angle)
    old = next((c for c in template.precautions.rom_caps if c.signal == counter.angle), None)
    cap = (RomCap(signal=counter.angle, max=max_deg) if old is None
           else old.model_copy(update={"max": max_deg}))
    return (*others, cap)


def _load(exercise_id: str, version: int) -> ExerciseTemplate:
    try:
        return load_template(exercise_id)
    except HepvisionError as exc:
        raise ProgramError(f"prescription version {version}: {exc}; update hepvision") from None
