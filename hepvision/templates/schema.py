"""The exercise template file schema (``exercises/<id>.toml``), validated at the boundary.

Schema version 1 holds what counting needs plus id, name, patient instruction, view and side.
Later sections (dosage, form rules, precautions, progression) are additive: each will be a new
optional table with its own model, so version-1 files stay valid.

Counter thresholds: the counted signal starts at rest on the ``start`` side and a repetition
must pass ``turn``; ``start < turn`` means the signal rises during the outward phase (knee
flexion in a squat), ``start > turn`` that it falls (hip flexion in a bridge). Angles are in
degrees (neutral-zero, see :class:`~hepvision.kinematics.AngleName`), normalised distances are
dimensionless ratios (see :class:`~hepvision.kinematics.DistanceName`).
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

from hepvision.kinematics.definitions import AngleName, DistanceName

SCHEMA_VERSION = 1


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


def _counter_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        return "distance" if "distance" in value else "angle"
    return "distance" if isinstance(value, DistanceCounter) else "angle"


Counter = Annotated[
    Annotated[AngleCounter, Tag("angle")] | Annotated[DistanceCounter, Tag("distance")],
    Discriminator(_counter_kind),
]


class ExerciseTemplate(_Strict):
    """One exercise: what to count and how. ``content_sha256`` is filled by the loader."""

    schema_version: Literal[1]
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    name: str = Field(min_length=1, max_length=120)
    instructions: str = Field(min_length=1, max_length=300, description="one-line patient cue")
    view: Literal["front", "side", "any"] = Field(description="camera view the template needs")
    side: Literal["left", "right", "both", "alternating"]
    counter: Counter
    content_sha256: str = Field("", pattern=r"^([0-9a-f]{64})?$")

    @field_validator("instructions")
    @classmethod
    def _one_line(cls, v: str) -> str:
        if "\n" in v.strip():
            raise ValueError("must be one line")
        return v.strip()

    @property
    def signal_name(self) -> str:
        """The counted signal's name (an AngleName or DistanceName value)."""
        c = self.counter
        return c.angle.value if isinstance(c, AngleCounter) else c.distance.value

    @property
    def signal_unit(self) -> str:
        """``"deg"`` for angles, ``"ratio"`` for normalised distances."""
        return "deg" if isinstance(self.counter, AngleCounter) else "ratio"
