"""The exercise template file schema (``exercises/<id>.toml``), validated at the boundary.

Schema version 1 holds what counting needs plus id, name, patient instruction, view and side.
Later sections (dosage, form rules, precautions, progression) are additive: each will be a new
optional table with its own model, so version-1 files stay valid.

Counter thresholds: the counted signal starts at rest on the ``start`` side and a repetition
must pass ``turn``; ``start < turn`` means the signal rises during the outward phase (knee
flexion in a squat), ``start > turn`` that it falls (hip flexion in a bridge). Angles are in
degrees (neutral-zero, see :class:`~hepvision.vocabulary.AngleName`), normalised distances are
dimensionless ratios (see :class:`~hepvision.vocabulary.DistanceName`).

Schema version 2 (version-1 files stay valid) adds, all optional with defaults:

- ``[camera]``: framing (``distance``: full / upper / lower body, a ``distance_hint`` for the
  patient), whether a wrong view blocks counting or only advises (``view_check``), posture.
- ``[counter]`` with ``mode = "hold"``: timed holds; seconds count while every condition holds.
- ``[counter]`` with ``measure = ...``: counts a form measure (:class:`MeasureName`).
- ``[target]``: the target ROM of the counted signal (a goal, never a counting threshold).
- ``[dosage]``: sets, reps, hold, rest, sessions per day or per week.
- ``progression`` / ``regression``: one-line steps, easiest change first.
- ``[precautions]``: ROM caps (e.g. knee flexion <= 90 deg after surgery), the pain score that
  stops the set, free-text notes.
- ``[[form]]``: form rules (see :class:`FormRule`); limits are the rule's own, never a counter
  threshold (CLINICAL.md: never share one threshold between counting and judging form). A
  template whose view is enforced (``view_check = "block"``) may not hold a rule on a signal
  read in the plane its view cannot show (a sagittal angle in a front-view template).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from hepvision.templates.counters import (
    AngleCounter,
    Counter,
    DistanceCounter,
    HoldCondition,
    HoldCounter,
    MeasureCounter,
    Signal,
    counter_kind,
    start_turn,
)
from hepvision.templates.fields import OneLine, RuleKind, Strict, ViewCheck, one_line
from hepvision.templates.sections import Camera, Dosage, FormRule, Precautions, RomCap, Target
from hepvision.vocabulary import CounterKind, Plane, TemplateSide, TemplateView, Unit

__all__ = ["SCHEMA_VERSION", "AngleCounter", "Camera", "Counter", "DistanceCounter", "Dosage",
           "ExerciseTemplate", "FormRule", "HoldCondition", "HoldCounter", "MeasureCounter",
           "Precautions", "RomCap", "Signal", "Target"]

SCHEMA_VERSION = 2


class ExerciseTemplate(Strict):
    """One exercise: what to count, how, what good form is and what to say.

    ``content_sha256`` is filled by the loader (the file's SHA-256); after
    :func:`~hepvision.templates.apply_overrides` it is the hash of the base hash and the
    overrides hash, which ``base_sha256`` and ``overrides_sha256`` keep.
    """

    schema_version: Literal[1, 2]
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    name: str = Field(min_length=1, max_length=120)
    instructions: str = Field(min_length=1, max_length=300, description="one-line patient cue")
    view: TemplateView = Field(description="camera view the template needs")
    side: TemplateSide
    counter: Counter
    camera: Camera = Camera()
    target: Target = Target()
    dosage: Dosage = Dosage(per_day=1)
    progression: tuple[OneLine, ...] = ()
    regression: tuple[OneLine, ...] = ()
    precautions: Precautions = Precautions()
    form: tuple[FormRule, ...] = Field(default=(), max_length=16)
    content_sha256: str = Field(default="", pattern=r"^([0-9a-f]{64})?$")
    base_sha256: str = Field(default="", pattern=r"^([0-9a-f]{64})?$")
    overrides_sha256: str = Field(default="", pattern=r"^([0-9a-f]{64})?$")

    @field_validator("instructions")
    @classmethod
    def _one_line(cls, v: str) -> str:
        return one_line(v)

    @model_validator(mode="after")
    def _cross_checks(self) -> ExerciseTemplate:
        ids = [r.id for r in self.form]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"form rule ids must be unique (repeated: {', '.join(dupes)})")
        blind = {TemplateView.FRONT: Plane.SAGITTAL, TemplateView.SIDE: Plane.FRONTAL}.get(
            self.view)
        if blind is not None and self.camera.view_check is ViewCheck.BLOCK:
            for r in self.form:
                if r.signal is not None and r.signal.plane is blind:
                    raise ValueError(
                        f"form rule {r.id!r}: {r.signal.value} is read in the {blind.value} "
                        f"plane, which the {self.view} view this template requires cannot "
                        "show; the rule could never be judged")
        c = self.counter
        if isinstance(c, HoldCounter):
            for r in self.form:
                if r.kind in (RuleKind.ROM, RuleKind.TEMPO):
                    raise ValueError(f"form rule {r.id!r}: a hold has no repetition to judge "
                                     f"with a {r.kind.value!r} rule")
            if self.target.rom is not None:
                raise ValueError("target.rom: a hold has no counted range of motion")
            return self
        start, turn = start_turn(c)
        rising = turn > start
        beyond = (lambda x: x > turn) if rising else (lambda x: x < turn)
        if self.target.rom is not None and not beyond(self.target.rom):
            raise ValueError(f"target.rom ({self.target.rom}) must lie beyond the counter's "
                             f"turn threshold ({turn})")
        for r in self.form:
            if r.kind is RuleKind.ROM and not beyond(r.limit):
                raise ValueError(f"form rule {r.id!r}: limit {r.limit} must lie beyond the "
                                 f"counter's turn threshold ({turn}): counting and judging "
                                 "never share a threshold")
            if r.kind in (RuleKind.MAX, RuleKind.MIN) and r.signal is not None \
                    and r.signal.value == self.signal_name and r.limit in (start, turn):
                raise ValueError(f"form rule {r.id!r}: limit {r.limit} equals a counter "
                                 "threshold; counting and judging never share a threshold")
        return self

    @property
    def is_hold(self) -> bool:
        return isinstance(self.counter, HoldCounter)

    @property
    def signal_name(self) -> str:
        """The counted signal's name (an AngleName, DistanceName or MeasureName value; for a
        hold, its first condition's signal)."""
        c = self.counter
        if isinstance(c, AngleCounter):
            return c.angle.value
        if isinstance(c, DistanceCounter):
            return c.distance.value
        if isinstance(c, MeasureCounter):
            return c.measure.value
        return c.conditions[0].signal.value

    @property
    def counter_kind(self) -> CounterKind:
        return counter_kind(self.counter)

    @property
    def signal_unit(self) -> Unit:
        """``"deg"`` for angles, ``"ratio"`` for normalised distances, the measure's unit for
        measures, ``"s"`` (seconds held) for holds."""
        c = self.counter
        if isinstance(c, AngleCounter):
            return c.angle.unit
        if isinstance(c, DistanceCounter):
            return c.distance.unit
        if isinstance(c, MeasureCounter):
            return c.measure.unit
        return Unit.S
