"""Template sections beyond the counter (schema version 2, all optional): camera framing,
target, dosage, precautions and form rules."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from hepvision.templates.counters import Signal
from hepvision.templates.fields import (
    Framing,
    OneLine,
    Posture,
    RuleKind,
    RuleReference,
    RuleSide,
    Strict,
    ViewCheck,
    one_line,
)
from hepvision.vocabulary import (
    DEFAULT_PAIN_STOP_NRS,
    PAIN_NRS_MAX,
    PAIN_STOP_NRS_MIN,
    AngleName,
    Severity,
)


class Camera(Strict):
    """How the patient must be framed before counting starts.

    ``distance``: which part of the body must be in the picture (``full_body``: head to feet);
    ``distance_hint``: what to tell the patient; ``view_check``: ``block`` stops counting while
    the view is the opposite of the template's (front instead of side or the reverse),
    ``advise`` only shows the message (for exercises counted reliably from several views).
    """

    distance: Framing = Framing.FULL_BODY
    distance_hint: str = Field(default="", max_length=120)
    view_check: ViewCheck = ViewCheck.BLOCK
    posture: Posture = Posture.ANY


class Target(Strict):
    """Therapeutic goals, in the counted signal's unit. ``rom``: the peak to aim for.
    ``neutral``: the patient's own neutral (resting) reading of the counted signal, from a
    neutral capture (``hepvision calibrate neutral``; set through the patient's overrides):
    ROM is reported relative to it too, and the counter's rest level starts from it."""

    rom: float | None = Field(default=None, ge=-240.0, le=240.0)
    neutral: float | None = Field(default=None, ge=-240.0, le=240.0)


class Dosage(Strict):
    """The default prescription; a therapist's overrides replace single fields."""

    sets: int = Field(default=3, ge=1, le=10)
    reps: int = Field(default=10, ge=1, le=100, description="repetitions (holds) per set")
    hold_s: float = Field(default=0.0, ge=0.0, le=600.0)
    rest_s: float = Field(default=60.0, ge=0.0, le=600.0, description="rest between sets")
    per_day: int | None = Field(default=None, ge=1, le=10, description="sessions per day")
    per_week: int | None = Field(default=None, ge=1, le=14, description="sessions per week")

    @model_validator(mode="after")
    def _frequency(self) -> Dosage:
        if self.per_day is None and self.per_week is None:
            raise ValueError("give sessions per_day or per_week")
        if self.per_day is not None and self.per_week is not None:
            raise ValueError("give per_day or per_week, not both")
        return self


class RomCap(Strict):
    """A precaution: never go past ``max`` (or below ``min``) of ``signal``, in degrees
    (e.g. knee flexion <= 90 after a knee replacement). Judged as a ``stop`` form finding."""

    signal: AngleName
    max: float | None = Field(default=None, ge=-120.0, le=240.0)
    min: float | None = Field(default=None, ge=-120.0, le=240.0)
    cue: OneLine = "Stop: stay within the range your therapist set."

    @model_validator(mode="after")
    def _limits(self) -> RomCap:
        if self.min is None and self.max is None:
            raise ValueError("needs min, max or both")
        return self


class Precautions(Strict):
    """Safety limits. ``pain_stop_nrs``: stop the set when pain reaches this on the 0-10
    numeric rating scale (asked by the session, not measured by the camera)."""

    rom_caps: tuple[RomCap, ...] = ()
    pain_stop_nrs: int = Field(default=DEFAULT_PAIN_STOP_NRS, ge=PAIN_STOP_NRS_MIN, le=PAIN_NRS_MAX)
    notes: str = Field(default="", max_length=300)


class FormRule(Strict):
    """One form rule, evaluated every frame (``max``, ``min``, ``asymmetry``) or at the end of
    each repetition (``rom``, ``tempo``), debounced by ``min_ms``.

    Kinds:
        max / min: ``signal`` above / below ``limit`` (with ``reference = "rest"``: its change
            from the level held at rest, e.g. a shrug).
        asymmetry: ``|left - right|`` of ``signal`` above ``limit``.
        rom: the repetition's peak of the counted signal short of ``limit`` (the limit must lie
            beyond the counter's turn threshold: it judges, the counter counts).
        tempo: the repetition lasted less than ``limit`` seconds.
    ``side``: ``each`` judges the left and right sides apart, ``both`` their mean.
    ``priority``: 1 is the most urgent cue; ``cooldown_s``: the least time between two cues
    of this rule.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=48)
    kind: RuleKind
    signal: Signal | None = None
    side: RuleSide = RuleSide.EACH
    limit: float = Field(ge=-240.0, le=240.0)
    reference: RuleReference = RuleReference.ABSOLUTE
    min_ms: int = Field(default=200, ge=0, le=5000)
    severity: Severity = Severity.CAUTION
    priority: int = Field(default=5, ge=1, le=9)
    cooldown_s: float = Field(default=8.0, ge=0.0, le=300.0)
    cue: OneLine

    @field_validator("cue")
    @classmethod
    def _cue_line(cls, v: str) -> str:
        return one_line(v)

    @model_validator(mode="after")
    def _signal(self) -> FormRule:
        needs = self.kind in (RuleKind.MAX, RuleKind.MIN, RuleKind.ASYMMETRY)
        if needs and self.signal is None:
            raise ValueError(f"a {self.kind.value!r} rule needs a signal")
        if not needs and self.signal is not None:
            raise ValueError(f"a {self.kind.value!r} rule judges the counted signal; drop 'signal'")
        if self.kind is RuleKind.TEMPO and not self.limit > 0.0:
            raise ValueError("a tempo limit is a duration in seconds, above 0")
        if self.kind is RuleKind.ASYMMETRY and not self.limit > 0.0:
            raise ValueError("an asymmetry limit must be above 0")
        return self
