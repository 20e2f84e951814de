"""The prescription as a device reads it: ``GET /patients/{id}/prescriptions/current``, kept in
``prescription.json`` by ``hepvision enroll`` and ``hepvision sync``.

The server writes it (its ``PrescriptionPublic``); these models read it on the device, with the
server's bounds, and ignore fields they do not know (a newer server may add some), so a device
keeps running the program its therapist set. ``overrides.pain_stop_at`` (its name before
issue 11) is read as ``pain_stop_nrs``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from hepvision.vocabulary import PAIN_NRS_MAX, PAIN_STOP_NRS_MIN

Slug = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_\-]*$")]


class _Read(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class PrescribedOverrides(_Read):
    """The patient's changes to the template (None: the template's own)."""

    target_rom_deg: Annotated[float, Field(ge=-180, le=360)] | None = None
    max_rom_deg: Annotated[float, Field(ge=-180, le=360)] | None = None
    max_reps_per_set: Annotated[int, Field(ge=1, le=200)] | None = None
    pain_stop_nrs: Annotated[int, Field(ge=PAIN_STOP_NRS_MIN, le=PAIN_NRS_MAX)] | None = Field(
        default=None, validation_alias=AliasChoices("pain_stop_nrs", "pain_stop_at"))
    #: A personal template (``hepvision template learn``): counter thresholds in the counted
    #: signal's unit, the incomplete-range and too-fast rules' limits.
    counter_start: Annotated[float, Field(ge=-240, le=240)] | None = None
    counter_turn: Annotated[float, Field(ge=-240, le=240)] | None = None
    counter_hysteresis: Annotated[float, Field(gt=0, le=30)] | None = None
    counter_min_amplitude: Annotated[float, Field(ge=0, le=240)] | None = None
    rom_limit: Annotated[float, Field(ge=-240, le=240)] | None = None
    min_rep_s: Annotated[float, Field(ge=0, le=60)] | None = None
    #: The patient's neutral of the counted angle (``hepvision calibrate neutral``).
    neutral_deg: Annotated[float, Field(ge=-180, le=360)] | None = None


class ProgressionStep(_Read):
    """After ``after_days`` days on this version, the dose changes to these values."""

    after_days: Annotated[int, Field(ge=1, le=365)]
    sets: Annotated[int, Field(ge=1, le=20)] | None = None
    reps: Annotated[int, Field(ge=1, le=200)] | None = None
    hold_s: Annotated[float, Field(ge=0, le=600)] | None = None


class PrescribedExercise(_Read):
    """One exercise of the program: dosage, side and the patient's overrides."""

    exercise_id: Slug
    sets: Annotated[int, Field(ge=1, le=20)]
    reps: Annotated[int, Field(ge=1, le=200)]
    hold_s: Annotated[float, Field(ge=0, le=600)] = 0.0
    rest_s: Annotated[float, Field(ge=0, le=3600)] | None = None
    side: Literal["left", "right", "both", "none"] | None = None
    progression: Annotated[list[ProgressionStep], Field(max_length=10)] = []
    overrides: PrescribedOverrides = PrescribedOverrides()


class Prescription(_Read):
    """A version of the patient's program."""

    patient_id: int
    version: Annotated[int, Field(ge=1)]
    created_at: datetime
    exercises: Annotated[list[PrescribedExercise], Field(min_length=1, max_length=30)]

    def exercise(self, exercise_id: str) -> PrescribedExercise | None:
        """The prescribed entry of ``exercise_id`` (its first, if listed twice), else None."""
        return next((e for e in self.exercises if e.exercise_id == exercise_id), None)
