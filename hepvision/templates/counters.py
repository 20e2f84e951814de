"""Template counters: what a template counts (an angle, a normalised distance or a form
measure crossing thresholds, or the seconds of a timed hold) and with which thresholds."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from hepvision.templates.fields import ConcentricPhase, HoldSide, Strict
from hepvision.vocabulary import AngleName, CounterKind, DistanceName, MeasureName


class _CounterCommon(Strict):
    min_dwell_ms: int = Field(default=120, ge=0, le=2000,
                              description="a state change must hold this long")
    setup_ms: int = Field(default=500, ge=0, le=10_000,
                          description="landmarks must be seen this long before counting starts")
    hold_s: float = Field(default=0.0, ge=0.0, le=120.0, description="prescribed hold at the peak")
    concentric: ConcentricPhase = Field(default=ConcentricPhase.OUT,
        description="which phase works against the load: toward the turn, or back")


class AngleCounter(_CounterCommon):
    """Counts a clinical angle; thresholds in degrees."""

    angle: AngleName
    start_deg: float = Field(ge=-120.0, le=240.0)
    turn_deg: float = Field(ge=-120.0, le=240.0)
    hysteresis_deg: float = Field(default=5.0, ge=0.5, le=30.0)
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
    hysteresis_ratio: float = Field(default=0.02, ge=0.001, le=0.5)
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


class HoldCondition(Strict):
    """One limit the held posture must keep (``min`` and/or ``max``, in the signal's unit).

    ``side``: ``either`` (one side within limits is enough), ``both`` (the mean of the two
    sides), ``left`` or ``right``.
    """

    signal: Signal
    side: HoldSide = HoldSide.EITHER
    min: float | None = Field(default=None, ge=-240.0, le=240.0)
    max: float | None = Field(default=None, ge=-240.0, le=240.0)

    @model_validator(mode="after")
    def _limits(self) -> HoldCondition:
        if self.min is None and self.max is None:
            raise ValueError("needs min, max or both")
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        return self


class HoldCounter(Strict):
    """A timed hold: seconds count while every condition holds (after ``min_dwell_ms``);
    a break shorter than ``grace_ms`` (a blink of the pose model) does not end the hold."""

    mode: Literal["hold"]
    target_s: float = Field(ge=1.0, le=600.0, description="prescribed hold per repetition")
    conditions: tuple[HoldCondition, ...] = Field(min_length=1, max_length=6)
    grace_ms: int = Field(default=600, ge=0, le=5000)
    min_dwell_ms: int = Field(default=300, ge=0, le=5000)
    setup_ms: int = Field(default=500, ge=0, le=10_000)


def counter_kind(value: Any) -> CounterKind:
    """The kind of a counter table (as read from TOML) or model."""
    if isinstance(value, dict):
        if value.get("mode") == "hold":
            return CounterKind.HOLD
        if "measure" in value:
            return CounterKind.MEASURE
        return CounterKind.DISTANCE if "distance" in value else CounterKind.ANGLE
    if isinstance(value, HoldCounter):
        return CounterKind.HOLD
    if isinstance(value, MeasureCounter):
        return CounterKind.MEASURE
    return CounterKind.DISTANCE if isinstance(value, DistanceCounter) else CounterKind.ANGLE


Counter = Annotated[
    Annotated[AngleCounter, Tag(CounterKind.ANGLE)]
    | Annotated[DistanceCounter, Tag(CounterKind.DISTANCE)]
    | Annotated[MeasureCounter, Tag(CounterKind.MEASURE)]
    | Annotated[HoldCounter, Tag(CounterKind.HOLD)],
    Discriminator(counter_kind),
]


def start_turn(c: AngleCounter | DistanceCounter | MeasureCounter) -> tuple[float, float]:
    """A counter's (start, turn) thresholds in its unit."""
    if isinstance(c, AngleCounter):
        return c.start_deg, c.turn_deg
    if isinstance(c, DistanceCounter):
        return c.start_ratio, c.turn_ratio
    return c.start, c.turn
