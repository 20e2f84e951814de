"""A learned personal template as prescription overrides, so it is versioned with the
patient's prescription on the server (a new version; the device applies it through
:mod:`hepvision.live.prescribed`) and shown and edited on the dashboard.

Mapping: the counter's thresholds -> ``counter_start`` / ``counter_turn`` /
``counter_hysteresis`` / ``counter_min_amplitude``; the target -> ``target_rom_deg`` (angle
templates only: the field is in degrees); the template's ``rom`` / ``tempo`` rule limits ->
``rom_limit`` / ``min_rep_s``; a demonstrated hold -> the exercise's ``hold_s``. Plain JSON
dictionaries: this module does not import the server.
"""

from __future__ import annotations

import copy
from typing import Any

from hepvision.calibration.learn import LearnedTemplate
from hepvision.errors import HepvisionError
from hepvision.templates import ExerciseTemplate, RuleKind
from hepvision.vocabulary import Unit


def prescription_fields(learned: LearnedTemplate, base: ExerciseTemplate) -> dict[str, float]:
    """The prescription ``overrides`` fields of ``learned`` (a template learned from ``base``)."""
    o, c = learned.overrides, learned.overrides.counter
    fields: dict[str, float] = {}
    if c is not None:
        for name in ("start", "turn", "hysteresis", "min_amplitude"):
            value = getattr(c, name)
            if value is not None:
                fields[f"counter_{name}"] = value
    if o.target_rom is not None and base.signal_unit is Unit.DEG:
        fields["target_rom_deg"] = o.target_rom
    for rule in base.form:
        limit = o.rule_limits.get(rule.id)
        if limit is not None and rule.kind is RuleKind.ROM:
            fields["rom_limit"] = limit
        elif limit is not None and rule.kind is RuleKind.TEMPO:
            fields["min_rep_s"] = limit
    return fields


def with_learned(body: dict[str, Any], exercise_id: str, fields: dict[str, float],
                 hold_s: float | None) -> dict[str, Any]:
    """A copy of a prescription body (``exercises``, ``precautions``, ``notes``) with
    ``exercise_id``'s overrides updated by ``fields`` (its other overrides kept) and its hold
    set to ``hold_s`` when one was demonstrated.

    Raises:
        HepvisionError: the prescription has no such exercise.
    """
    out = copy.deepcopy(body)
    entries = [e for e in out["exercises"] if e["exercise_id"] == exercise_id]
    if not entries:
        listed = ", ".join(e["exercise_id"] for e in out["exercises"])
        raise HepvisionError(f"the current prescription has no {exercise_id!r} (it has: "
                             f"{listed}); prescribe it first, then learn its template")
    for entry in entries:
        entry["overrides"] = {**(entry.get("overrides") or {}), **fields}
        if hold_s is not None:
            entry["hold_s"] = hold_s
    return out
