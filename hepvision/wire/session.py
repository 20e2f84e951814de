"""The session record: what a patient's device uploads after one exercise session.

Schema version "1". Every model forbids unknown keys and bounds its sizes, so the server can
validate a record completely before writing anything. Times inside a set are integer
milliseconds from the start of that exercise's recording; ``started_at``/``ended_at`` are
timezone-aware wall-clock datetimes. Angles are degrees in the neutral-zero convention; a ROM
field is ``None`` when it was not measurable (wrong view, joint out of frame).

Example (abridged)::

    {"schema_version": "1", "session_id": "4f0c...", "prescription_version": 3,
     "app_version": "0.1.0", "started_at": "2026-03-02T09:00:00+01:00", ...,
     "exercises": [{"exercise_id": "squat", "angle_name": "knee_flexion", "sets": [...]}]}
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from hepvision.vocabulary import Severity

SCHEMA_VERSION: Literal["1"] = "1"

MAX_EXERCISES = 32
MAX_SETS = 20
MAX_REPS_PER_SET = 200
MAX_HOLDS_PER_SET = 100
MAX_FINDINGS_PER_SET = 500
MAX_MODELS = 8
MAX_SESSION_S = 6 * 3600.0
MAX_TIME_MS = int(MAX_SESSION_S * 1000)

Slug = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_\-]*$")]
ShortText = Annotated[str, Field(max_length=64)]
Message = Annotated[str, Field(max_length=500)]
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
TimeMs = Annotated[int, Field(ge=0, le=MAX_TIME_MS)]
Pain = Annotated[int, Field(ge=0, le=10)]
Side = Literal["left", "right", "both", "none"]
#: Which landmarks read a measurement: image, world, a mix of both, or none (not measured).
ReadingSource = Literal["image", "world", "mixed", "none"]
#: How far a count can be trusted (the count cross-check).
CountConfidence = Literal["high", "medium", "low"]
MAX_NOTES = 10
#: Legacy spellings of a severity, read at this boundary only: devices before issue 11 may
#: upload "warning", which meant what templates call "caution".
SEVERITY_ALIASES = {"warning": Severity.CAUTION}


def _severity(value: object) -> object:
    return SEVERITY_ALIASES.get(value, value) if isinstance(value, str) else value


#: A finding's severity (:class:`~hepvision.vocabulary.Severity`); "warning" is read as caution.
WireSeverity = Annotated[Severity, BeforeValidator(_severity)]


#: The camera view of an exercise on the wire (the analysis' ``side_left``/``side_right`` are
#: one ``side``).
CameraView = Literal["front", "side", "oblique", "back", "unknown"]
_CAMERA_VIEWS: dict[str, CameraView] = {
    "front": "front", "side": "side", "side_left": "side", "side_right": "side",
    "oblique": "oblique", "back": "back"}


def wire_view(view: str | None) -> CameraView:
    """The wire's camera view from an analysis view (``side_left``/``side_right`` -> ``side``)."""
    return _CAMERA_VIEWS.get(view or "", "unknown")


def _finite(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Degrees = Annotated[float, Field(ge=-360.0, le=360.0), AfterValidator(_finite)]
Seconds = Annotated[float, Field(ge=0.0, le=MAX_SESSION_S), AfterValidator(_finite)]
Number = Annotated[float, Field(ge=-1e9, le=1e9), AfterValidator(_finite)]
Share = Annotated[float, Field(ge=0.0, le=1.0), AfterValidator(_finite)]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SideRom(_Wire):
    """One side's range of motion in one repetition (added in issue 11; optional).

    ``moved``: this side made the movement (False for the resting limb of a one-sided
    repetition); ``source``/``confidence``: which landmarks read its peak and their mean
    confidence (0..1); ``measured_share``: share of the repetition's frames it was measurable.
    """

    side: Literal["left", "right"]
    start_deg: Degrees | None = None
    peak_deg: Degrees | None = None
    range_deg: Degrees | None = None
    moved: bool = True
    source: ReadingSource = "none"
    confidence: Share | None = None
    measured_share: Share | None = None


class CountCheck(_Wire):
    """The count cross-checked with the template-free counter (added in issue 11; optional).

    ``count_confidence``: ``high`` (the two agree), ``medium`` (off by one) or ``low``;
    measurable; ``notes``: plain-language reasons a count may be wrong; ``count_method``:
    which count is reported (``template_free`` when the template's signal was mostly out of
    view).
    """

    template_reps: Annotated[int, Field(ge=0, le=MAX_REPS_PER_SET * MAX_SETS)]
    template_free_reps: Annotated[int, Field(ge=0, le=100_000)]
    template_free_signal: ShortText = ""
    count_confidence: CountConfidence
    measured_share: Share
    notes: Annotated[list[Message], Field(max_length=MAX_NOTES)] = []
    count_method: Literal["template", "template_free"] = "template"


class Repetition(_Wire):
    """One counted repetition; the same keys as ``rep_details`` in a ``track`` report.

    ``sides`` (per-side ROM), ``source`` and ``confidence`` (of the working side's peak) were
    added in issue 11; older records omit them. ``counted_by``: ``template_free`` for a
    repetition found by the template-free counter when the template's signal was out of view
    (it has no ROM).
    """

    start_ms: TimeMs
    peak_ms: TimeMs
    end_ms: TimeMs
    rom_start_deg: Degrees | None = None
    rom_peak_deg: Degrees | None = None
    rom_range_deg: Degrees | None = None
    concentric_ms: TimeMs | None = None
    eccentric_ms: TimeMs | None = None
    hold_ms: TimeMs | None = None
    side: Side | None = None
    sides: Annotated[list[SideRom], Field(max_length=2)] = []
    source: ReadingSource | None = None
    confidence: Share | None = None
    counted_by: Literal["template", "template_free"] = "template"

    @model_validator(mode="after")
    def _ordered(self) -> Repetition:
        if not self.start_ms <= self.peak_ms <= self.end_ms:
            raise ValueError("a repetition needs start_ms <= peak_ms <= end_ms")
        return self


class Hold(_Wire):
    """An isometric hold inside a set."""

    start_ms: TimeMs
    end_ms: TimeMs
    hold_s: Seconds

    @model_validator(mode="after")
    def _ordered(self) -> Hold:
        if self.end_ms < self.start_ms:
            raise ValueError("a hold needs start_ms <= end_ms")
        return self


class Finding(_Wire):
    """A form finding raised by a rule of the exercise template."""

    rule_id: Slug
    severity: WireSeverity
    time_ms: TimeMs
    rep_index: Annotated[int, Field(ge=0, lt=MAX_REPS_PER_SET)] | None = None
    value: Number | None = None
    limit: Number | None = None
    message: Message = ""


class SetRecord(_Wire):
    """One set: counted and partial repetitions, holds, findings and the rest after it;
    ``count_check`` (added in issue 11) cross-checks the set's count."""

    set_index: Annotated[int, Field(ge=0, lt=MAX_SETS)]
    reps: Annotated[int, Field(ge=0, le=MAX_REPS_PER_SET)]
    partial_reps: Annotated[int, Field(ge=0, le=MAX_REPS_PER_SET)] = 0
    repetitions: Annotated[list[Repetition], Field(max_length=MAX_REPS_PER_SET)] = []
    holds: Annotated[list[Hold], Field(max_length=MAX_HOLDS_PER_SET)] = []
    findings: Annotated[list[Finding], Field(max_length=MAX_FINDINGS_PER_SET)] = []
    rest_s: Seconds | None = None
    count_check: CountCheck | None = None

    @model_validator(mode="after")
    def _counts(self) -> SetRecord:
        if len(self.repetitions) > self.reps:
            raise ValueError("more repetition details than counted reps")
        return self


class ExerciseRecord(_Wire):
    """One exercise of the session, with the template and model hashes it ran with.

    ``template_sha256`` is the hash of the template the session ran (after the patient's
    overrides); ``template_base_sha256`` and ``overrides_sha256`` (added in issue 11) are its
    two layers (``overrides_sha256`` is None without overrides). ``count_check`` (added in
    issue 11) sums the sets' count checks: the counts add up, the confidence is the least
    confident set's, the measured share is the mean of the sets'. ``neutral_deg`` (issue 13):
    the patient's neutral reading of the counted angle from a neutral capture (None: none
    captured); each repetition's ROM relative to neutral is its peak minus it.
    """

    exercise_id: Slug
    template_sha256: Sha256Hex | None = None
    model_sha256: Annotated[dict[ShortText, Sha256Hex], Field(max_length=MAX_MODELS)] = {}
    backend: ShortText = ""
    view: CameraView = "unknown"
    side: Side | None = None
    angle_name: Slug
    target_rom_deg: Degrees | None = None
    sets: Annotated[list[SetRecord], Field(max_length=MAX_SETS)]
    template_base_sha256: Sha256Hex | None = None
    overrides_sha256: Sha256Hex | None = None
    count_check: CountCheck | None = None
    neutral_deg: Degrees | None = None

    @model_validator(mode="after")
    def _unique_sets(self) -> ExerciseRecord:
        indices = [s.set_index for s in self.sets]
        if len(set(indices)) != len(indices):
            raise ValueError("set_index values must be unique within an exercise")
        return self


class SessionRecord(_Wire):
    """One finished exercise session, identified by a client-generated UUID.

    ``exercises`` is empty only for a session stopped early before any set (pain at or above
    the stop threshold before starting): it is still uploaded, for its pain ratings.

    ``session_id`` is the idempotency key: uploading the same record twice stores it once.
    """

    schema_version: Literal["1"] = SCHEMA_VERSION
    session_id: uuid.UUID
    prescription_version: Annotated[int, Field(ge=1)] | None = None
    app_version: Annotated[str, Field(min_length=1, max_length=32)]
    started_at: datetime
    ended_at: datetime
    duration_s: Seconds
    pain_before: Pain | None = None
    pain_after: Pain | None = None
    stopped_early: bool = False
    stop_reason: Message | None = None
    exercises: Annotated[list[ExerciseRecord], Field(max_length=MAX_EXERCISES)]

    @model_validator(mode="after")
    def _empty_only_if_stopped(self) -> SessionRecord:
        if not self.exercises and not self.stopped_early:
            raise ValueError("a session with no exercises must be stopped early "
                             "(stopped_early: a pain stop before the first set)")
        return self

    @model_validator(mode="after")
    def _times(self) -> SessionRecord:
        if self.started_at.tzinfo is None or self.ended_at.tzinfo is None:
            raise ValueError("started_at and ended_at must carry a timezone offset")
        if self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at")
        if (self.ended_at - self.started_at).total_seconds() > MAX_SESSION_S:
            raise ValueError("a session lasts at most 6 hours")
        return self

    @property
    def total_reps(self) -> int:
        """Counted repetitions over all exercises and sets."""
        return sum(s.reps for e in self.exercises for s in e.sets)
