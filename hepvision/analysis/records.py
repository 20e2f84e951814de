"""Records the analysis hands to sessions, reports and the command line."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FrameFeedback:
    """What the live display shows after one frame.

    Attributes:
        timestamp_ms: the frame's timestamp.
        reps: repetitions counted so far.
        signal_value: the counted signal now (degrees for angles, a ratio for distances),
            causally filtered; NaN when not measurable in this frame.
        signal_unit: ``"deg"`` or ``"ratio"``.
        state: the counter state name (``setup``, ``rest``, ``outward``, ``at_turn``,
            ``return``); for alternating sides the more advanced side's state.
        view: this frame's view (``front``, ``side_left``, ``side_right``, ``oblique``,
            ``unknown``).
    """

    timestamp_ms: int
    reps: int
    signal_value: float
    signal_unit: str
    state: str
    view: str


@dataclass(frozen=True, slots=True)
class Repetition:
    """One repetition.

    Attributes:
        start_ms, peak_ms, end_ms: leaving the start position, the extreme, back at the start
            threshold (integer ms, the recording's clock).
        rom_start_deg, rom_peak_deg, rom_range_deg: the counted signal at the start and at the
            peak, and their difference (absolute); degrees for angle templates (for a
            normalised-distance template these hold the ratio, see ``signal_unit``). NaN start
            when the repetition was under way when counting began (then range is from the end).
        concentric_ms, eccentric_ms: duration of the working phase and of the yielding phase
            (which is which comes from the template's ``concentric``); the hold is excluded.
        hold_ms: time spent at the peak (within max(hysteresis / 2, 5 % of the range) of it).
        side: ``left``, ``right`` or ``both``.
    """

    start_ms: int
    peak_ms: int
    end_ms: int
    rom_start_deg: float
    rom_peak_deg: float
    rom_range_deg: float
    concentric_ms: int
    eccentric_ms: int
    hold_ms: int
    side: str

    def to_dict(self) -> dict[str, Any]:
        return {k: _json_float(v) for k, v in asdict(self).items()}


@dataclass(frozen=True, slots=True)
class ExerciseAnalysis:
    """The result of analysing one exercise set.

    Attributes:
        template_id, template_sha256: the template used.
        signal, signal_unit: the counted signal's name and unit.
        reps: repetitions counted (by the same state machine live and offline).
        rep_details: one Repetition per counted repetition.
        partial_reps: excursions that did not count (too small, not reaching the turn,
            unfinished or lost from view).
        partial_details: those excursions, as Repetition records.
        view: the session's view (the most frequent frame view).
        frames, frames_measured: frames seen and frames where the signal was measurable.
        refined: True when ROM and phase times come from the zero-phase Butterworth pass.
    """

    template_id: str
    template_sha256: str
    signal: str
    signal_unit: str
    reps: int
    rep_details: tuple[Repetition, ...]
    partial_reps: int
    partial_details: tuple[Repetition, ...]
    view: str
    frames: int
    frames_measured: int
    refined: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN becomes None)."""
        return {
            "template_id": self.template_id,
            "template_sha256": self.template_sha256,
            "signal": self.signal,
            "signal_unit": self.signal_unit,
            "reps": self.reps,
            "rep_details": [r.to_dict() for r in self.rep_details],
            "partial_reps": self.partial_reps,
            "partial_details": [r.to_dict() for r in self.partial_details],
            "view": self.view,
            "frames": self.frames,
            "frames_measured": self.frames_measured,
            "refined": self.refined,
        }


def _json_float(v: Any) -> Any:
    """NaN/inf become None; other floats are rounded to 0.01 (far below measurement error)."""
    if isinstance(v, float):
        return round(v, 2) if math.isfinite(v) else None
    return v
