"""The exercise template file schema (``exercises/<id>.toml``), validated at the boundary.

Schema version 1 holds what counting needs plus id, name, patient instruction, view and side.
Later sections (dosage, form rules, precautions, progression) are additive: each will be a new
optional table with its own model, so version-1 files stay valid.

Counter thresholds: the counted signal starts at rest on the ``start`` side and a repetition
must pass ``turn``; ``start < turn`` means the signal rises during the outward phase (knee
flexion in a squat), ``start > turn`` that it falls (hip flexion in a bridge). Angles are in
degrees (neutral-zero, see :class:`~hepvision.kinematics.AngleName`), normalised distances are
dimensionless ratios (see :class:`~hepvision.kinematics.DistanceName`).

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

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from hepvision.kinematics.definitions import AngleName, DistanceName, Plane
from hepvision.kinematics.measures import MeasureName

SCHEMA_VERSION = 2


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _CounterCommon(_Strict):
    min_dwell_ms: int = Field(120, ge=0, le=2000, description="a state change must hold this long")
    setup_ms: int = Field(500, ge=0, le=10_000,
                          description="landmarks must be seen this long before counting starts")
    hold_s: float = Field(0.0, ge=0.0, le=120.0, description="prescribed hold at the peak")
    concentric: Literal["out", "return"] = Field(
        "out", description="which phase works against the load: toward the turn, or back")


class AngleCounter(_CounterCommon):
    """Counts a clinical angle; thresholds in degrees."""

    angle: AngleName
    start_deg: float = Field(ge=-120.0, le=240.0)
    turn_deg: float = Field(ge=-120.0, le=240.0)
    hysteresis_deg: float = Field(5.0, ge=0.5, le=30.0)
    min_amplitude_deg: float = Field(ge=0.0, le=240.0)

    @model_validator(mode="after")
    def _thresholds(self) -> AngleCounter:
        _check_thresholds(self.start_deg, self.turn_deg, self.hysteresis_deg)
        return self


class DistanceCounter(_CounterCommon):
    """Counts a normalised distance; thresholds are dimensionless ratios."""

    distance: DistanceName
    start_ratio: float = Field(ge=-3.0, le=3.0)
    turn_ratio: float = Field(ge=-3.0, le=3.0)
    hysteresis_ratio: float = Field(0.02, ge=0.001, le=0.5)
    min_amplitude_ratio: float = Field(ge=0.0, le=3.0)

    @model_validator(mode="after")
    def _thresholds(self) -> DistanceCounter:
        _check_thresholds(self.start_ratio, self.turn_ratio, self.hysteresis_ratio)
        return self


def _check_thresholds(start: float, turn: float, hysteresis: float) -> None:
    if abs(turn - start) <= 2.0 * hysteresis:
        raise ValueError(
            f"start and turn thresholds ({start}, {turn}) must be more than twice the "
            f"hysteresis ({hysteresis}) apart")


class MeasureCounter(_CounterCommon):
    """Counts a form measure (:class:`MeasureName`), in the measure's unit (deg or ratio)."""

    measure: MeasureName
    start: float = Field(ge=-240.0, le=240.0)
    turn: float = Field(ge=-240.0, le=240.0)
    hysteresis: float = Field(ge=0.001, le=30.0)
    min_amplitude: float = Field(ge=0.0, le=240.0)

    @model_validator(mode="after")
    def _thresholds(self) -> MeasureCounter:
        _check_thresholds(self.start, self.turn, self.hysteresis)
        return self


#: A signal a rule or hold condition reads: a clinical angle or a form measure.
Signal = AngleName | MeasureName


class HoldCondition(_Strict):
    """One limit the held posture must keep (``min`` and/or ``max``, in the signal's unit).

    ``side``: ``either`` (one side within limits is enough), ``both`` (the mean of the two
    sides), ``left`` or ``right``.
    """

    signal: Signal
    side: Literal["either", "both", "left", "right"] = "either"
    min: float | None = Field(None, ge=-240.0, le=240.0)
    max: float | None = Field(None, ge=-240.0, le=240.0)

    @model_validator(mode="after")
    def _limits(self) -> HoldCondition:
        if self.min is None and self.max is None:
            raise ValueError("needs min, max or both")
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        return self


class HoldCounter(_Strict):
    """A timed hold: seconds count while every condition holds (after ``min_dwell_ms``);
    a break shorter than ``grace_ms`` (a blink of the pose model) does not end the hold."""

    mode: Literal["hold"]
    target_s: float = Field(ge=1.0, le=600.0, description="prescribed hold per repetition")
    conditions: tuple[HoldCondition, ...] = Field(min_length=1, max_length=6)
    grace_ms: int = Field(600, ge=0, le=5000)
    min_dwell_ms: int = Field(300, ge=0, le=5000)
    setup_ms: int = Field(500, ge=0, le=10_000)


def _counter_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        if value.get("mode") == "hold":
            return "hold"
        if "measure" in value:
            return "measure"
        return "distance" if "distance" in value else "angle"
    if isinstance(value, HoldCounter):
        return "hold"
    if isinstance(value, MeasureCounter):
        return "measure"
    return "distance" if isinstance(value, DistanceCounter) else "angle"


Counter = Annotated[
    Annotated[AngleCounter, Tag("angle")] | Annotated[DistanceCounter, Tag("distance")]
    | Annotated[MeasureCounter, Tag("measure")] | Annotated[HoldCounter, Tag("hold")],
    Discriminator(_counter_kind),
]


def _one_line(v: str) -> str:
    if "\n" in v.strip():
        raise ValueError("must be one line")
    return v.strip()


OneLine = Annotated[str, Field(min_length=1, max_length=200)]


class Camera(_Strict):
    """How the patient must be framed before counting starts.

    ``distance``: which part of the body must be in the picture (``full_body``: head to feet);
    ``distance_hint``: what to tell the patient; ``view_check``: ``block`` stops counting while
    the view is the opposite of the template's (front instead of side or the reverse),
    ``advise`` only shows the message (for exercises counted reliably from several views).
    """

    distance: Literal["full_body", "upper_body", "lower_body"] = "full_body"
    distance_hint: str = Field("", max_length=120)
    view_check: Literal["block", "advise"] = "block"
    posture: Literal["standing", "seated", "supine", "prone", "side_lying", "any"] = "any"


class Target(_Strict):
    """Therapeutic goals, in the counted signal's unit. ``rom``: the peak to aim for."""

    rom: float | None = Field(None, ge=-240.0, le=240.0)


class Dosage(_Strict):
    """The default prescription; a therapist's overrides replace single fields."""

    sets: int = Field(3, ge=1, le=10)
    reps: int = Field(10, ge=1, le=100, description="repetitions (holds) per set")
    hold_s: float = Field(0.0, ge=0.0, le=600.0)
    rest_s: float = Field(60.0, ge=0.0, le=600.0, description="rest between sets")
    per_day: int | None = Field(None, ge=1, le=10, description="sessions per day")
    per_week: int | None = Field(None, ge=1, le=14, description="sessions per week")

    @model_validator(mode="after")
    def _frequency(self) -> Dosage:
        if self.per_day is None and self.per_week is None:
            raise ValueError("give sessions per_day or per_week")
        if self.per_day is not None and self.per_week is not None:
            raise ValueError("give per_day or per_week, not both")
        return self


class RomCap(_Strict):
    """A precaution: never go past ``max`` (or below ``min``) of ``signal``, in degrees
    (e.g. knee flexion <= 90 after a knee replacement). Judged as a ``stop`` form finding."""

    signal: AngleName
    max: float | None = Field(None, ge=-120.0, le=240.0)
    min: float | None = Field(None, ge=-120.0, le=240.0)
    cue: OneLine = "Stop: stay within the range your therapist set."

    @model_validator(mode="after")
    def _limits(self) -> RomCap:
        if self.min is None and self.max is None:
            raise ValueError("needs min, max or both")
        return self


class Precautions(_Strict):
    """Safety limits. ``pain_stop_nrs``: stop the set when pain reaches this on the 0-10
    numeric rating scale (asked by the session, not measured by the camera)."""

    rom_caps: tuple[RomCap, ...] = ()
    pain_stop_nrs: int = Field(5, ge=1, le=10)
    notes: str = Field("", max_length=300)


class FormRule(_Strict):
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
    kind: Literal["max", "min", "asymmetry", "rom", "tempo"]
    signal: Signal | None = None
    side: Literal["each", "both", "left", "right"] = "each"
    limit: float = Field(ge=-240.0, le=240.0)
    reference: Literal["absolute", "rest"] = "absolute"
    min_ms: int = Field(200, ge=0, le=5000)
    severity: Literal["info", "caution", "stop"] = "caution"
    priority: int = Field(5, ge=1, le=9)
    cooldown_s: float = Field(8.0, ge=0.0, le=300.0)
    cue: OneLine

    @field_validator("cue")
    @classmethod
    def _cue_line(cls, v: str) -> str:
        return _one_line(v)

    @model_validator(mode="after")
    def _signal(self) -> FormRule:
        needs = self.kind in ("max", "min", "asymmetry")
        if needs and self.signal is None:
            raise ValueError(f"a {self.kind!r} rule needs a signal")
        if not needs and self.signal is not None:
            raise ValueError(f"a {self.kind!r} rule judges the counted signal; drop 'signal'")
        if self.kind == "tempo" and not self.limit > 0.0:
            raise ValueError("a tempo limit is a duration in seconds, above 0")
        if self.kind == "asymmetry" and not self.limit > 0.0:
            raise ValueError("an asymmetry limit must be above 0")
        return self


class ExerciseTemplate(_Strict):
    """One exercise: what to count, how, what good form is and what to say.

    ``content_sha256`` is filled by the loader (the file's SHA-256); after
    :func:`~hepvision.templates.apply_overrides` it is the hash of the base hash and the
    overrides hash, which ``base_sha256`` and ``overrides_sha256`` keep.
    """

    schema_version: Literal[1, 2]
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    name: str = Field(min_length=1, max_length=120)
    instructions: str = Field(min_length=1, max_length=300, description="one-line patient cue")
    view: Literal["front", "side", "any"] = Field(description="camera view the template needs")
    side: Literal["left", "right", "both", "alternating"]
    counter: Counter
    camera: Camera = Camera()
    target: Target = Target()
    dosage: Dosage = Dosage(per_day=1)
    progression: tuple[OneLine, ...] = ()
    regression: tuple[OneLine, ...] = ()
    precautions: Precautions = Precautions()
    form: tuple[FormRule, ...] = Field((), max_length=16)
    content_sha256: str = Field("", pattern=r"^([0-9a-f]{64})?$")
    base_sha256: str = Field("", pattern=r"^([0-9a-f]{64})?$")
    overrides_sha256: str = Field("", pattern=r"^([0-9a-f]{64})?$")

    @field_validator("instructions")
    @classmethod
    def _one_line(cls, v: str) -> str:
        return _one_line(v)

    @model_validator(mode="after")
    def _cross_checks(self) -> ExerciseTemplate:
        ids = [r.id for r in self.form]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"form rule ids must be unique (repeated: {', '.join(dupes)})")
        blind = {"front": Plane.SAGITTAL, "side": Plane.FRONTAL}.get(self.view)
        if blind is not None and self.camera.view_check == "block":
            for r in self.form:
                if r.signal is not None and r.signal.plane is blind:
                    raise ValueError(
                        f"form rule {r.id!r}: {r.signal.value} is read in the {blind.value} "
                        f"plane, which the {self.view} view this template requires cannot "
                        "show; the rule could never be judged")
        c = self.counter
        if isinstance(c, HoldCounter):
            for r in self.form:
                if r.kind in ("rom", "tempo"):
                    raise ValueError(f"form rule {r.id!r}: a hold has no repetition to judge "
                                     f"with a {r.kind!r} rule")
            if self.target.rom is not None:
                raise ValueError("target.rom: a hold has no counted range of motion")
            return self
        start, turn = _start_turn(c)
        rising = turn > start
        beyond = (lambda x: x > turn) if rising else (lambda x: x < turn)
        if self.target.rom is not None and not beyond(self.target.rom):
            raise ValueError(f"target.rom ({self.target.rom}) must lie beyond the counter's "
                             f"turn threshold ({turn})")
        for r in self.form:
            if r.kind == "rom" and not beyond(r.limit):
                raise ValueError(f"form rule {r.id!r}: limit {r.limit} must lie beyond the "
                                 f"counter's turn threshold ({turn}): counting and judging "
                                 "never share a threshold")
            if r.kind in ("max", "min") and r.signal is not None \
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
    def signal_unit(self) -> str:
        """``"deg"`` for angles, ``"ratio"`` for normalised distances, the measure's unit for
        measures, ``"s"`` (seconds held) for holds."""
        c = self.counter
        if isinstance(c, AngleCounter):
            return "deg"
        if isinstance(c, DistanceCounter):
            return "ratio"
        if isinstance(c, MeasureCounter):
            return c.measure.unit
        return "s"


def _start_turn(c: AngleCounter | DistanceCounter | MeasureCounter) -> tuple[float, float]:
    if isinstance(c, AngleCounter):
        return c.start_deg, c.turn_deg
    if isinstance(c, DistanceCounter):
        return c.start_ratio, c.turn_ratio
    return c.start, c.turn
