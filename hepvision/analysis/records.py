"""Records the analysis hands to sessions, reports and the command line."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from hepvision.vocabulary import CountConfidence, CountMethod, ReadingSource


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
        setup_message: what the patient must change before (or while) counting, e.g. "Turn
            sideways to the camera"; None when the setup is right. While a blocking setup
            check fails nothing is counted.
        cue: a form cue issued in this frame (one at a time, by priority, with cooldowns);
            None otherwise.
        hold_s: seconds held in the current hold (hold templates; 0 otherwise).
        pending: repetitions past their turning point on the way back (0 or 1): they count
            when the patient returns or the recording ends, so a display shows
            ``reps + pending``; a set's target is judged on ``reps`` alone.
    """

    timestamp_ms: int
    reps: int
    signal_value: float
    signal_unit: str
    state: str
    view: str
    setup_message: str | None = None
    cue: str | None = None
    hold_s: float = 0.0
    pending: int = 0


@dataclass(frozen=True, slots=True)
class SideRom:
    """One side's range of motion in one repetition.

    Attributes:
        side: ``left`` or ``right``.
        start_deg, peak_deg, range_deg: the counted signal at the repetition's start, its
            sustained extreme, and their difference (degrees for angles; a ratio for distances).
            NaN when this side was not measurable.
        moved: True when this side made the movement (its range is at least half the counter's
            minimum amplitude); False for the resting limb of a one-sided repetition.
        source: ``image``, ``world`` or ``mixed``: which landmarks read the samples around the
            peak; ``none`` when nothing was measured.
        confidence: mean confidence (0..1) of those samples.
        measured_share: share of the repetition's frames in which this side was measurable.
    """

    side: str
    start_deg: float
    peak_deg: float
    range_deg: float
    moved: bool
    source: ReadingSource
    confidence: float
    measured_share: float

    def to_dict(self) -> dict[str, Any]:
        return {k: _json_float(v) for k, v in asdict(self).items()}


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
        side: ``left``, ``right`` (the working side: a one-sided repetition, also of a two-sided
            template when the other limb was seen resting) or ``both`` (both sides moved, or the
            other side could not be seen). The ``rom_*`` fields are the working side's; for
            ``both`` the mean of the sides that moved, never of a moving and a resting limb.
        findings: rule ids of the form findings raised during the repetition.
        sides: per-side ROM (:class:`SideRom`), one per side the template reads.
        source: which landmarks measured the working side's peak (``image``, ``world``,
            ``mixed``; ``none`` when not measurable); confidence: their mean confidence, 0..1.
        counted_by: ``template`` (the template's counter) or ``template_free`` (found by the
            template-free counter when the template's signal was out of view: no ROM).
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
    findings: tuple[str, ...] = ()
    sides: tuple[SideRom, ...] = ()
    source: ReadingSource = ReadingSource.NONE
    confidence: float = math.nan
    counted_by: CountMethod = CountMethod.TEMPLATE

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; ``findings`` (rule ids) only when the repetition has some."""
        out: dict[str, Any] = {k: _json_float(v) for k, v in asdict(self).items()
                               if k not in ("findings", "sides")}
        if self.findings:
            out["findings"] = list(self.findings)
        out["sides"] = [s.to_dict() for s in self.sides]
        return out



@dataclass(frozen=True, slots=True)
class CountCheck:
    """The template count cross-checked with the template-free counter
    (:mod:`hepvision.analysis.crosscheck` documents the rule).

    Attributes:
        template_reps: what the template's counter counted (the reported count).
        template_free_reps: what the template-free counter counted.
        template_free_signal: the joint signal it counted (e.g. ``knee_flexion_left``).
        count_confidence: ``high`` (the two agree), ``medium`` (off by one) or ``low``.
        measured_share: share of the frames with a person in which the counted signal was
            measurable on at least one side.
        notes: plain-language reasons a count may be wrong (wrong view, movements that did not
            reach the turn, framing).
        count_method: which count is reported: ``template`` or ``template_free`` (the
            template's signal was mostly out of view; see :mod:`hepvision.analysis.crosscheck`).
        template_free_peaks_ms: the template-free counter's turning points.
        template_free_period_ms: its repetition period (NaN when none).
    """

    template_reps: int
    template_free_reps: int
    template_free_signal: str
    count_confidence: CountConfidence
    measured_share: float
    notes: tuple[str, ...] = ()
    count_method: CountMethod = CountMethod.TEMPLATE
    template_free_peaks_ms: tuple[int, ...] = ()
    template_free_period_ms: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        return {"template_reps": self.template_reps,
                "template_free_reps": self.template_free_reps,
                "template_free_signal": self.template_free_signal,
                "count_confidence": self.count_confidence.value,
                "count_method": self.count_method.value,
                "measured_share": self.measured_share, "notes": list(self.notes)}


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
        findings: form findings (:class:`~hepvision.form.FormFinding`) in time order.
        mode: ``reps`` or ``hold`` (timed holds: ``rep_details`` are the holds, ``reps`` the
            holds that reached the target).
        hold_s: seconds held in all holds (hold templates; NaN otherwise).
        template_base_sha256, overrides_sha256: the template file's hash and the per-patient
            overrides' hash ("" without overrides).
        frames_with_pose: frames in which a person was found.
        count_check: the cross-check of the count (None for holds).
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
    findings: tuple[Any, ...] = ()
    mode: str = "reps"
    hold_s: float = math.nan
    template_base_sha256: str = ""
    overrides_sha256: str = ""
    frames_with_pose: int = 0
    count_check: CountCheck | None = None

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
            "mode": self.mode,
            "hold_s": _json_float(self.hold_s),
            "findings": [f.to_dict() for f in self.findings],
            "findings_by_rule": self.findings_by_rule(),
            "template_base_sha256": self.template_base_sha256 or self.template_sha256,
            "overrides_sha256": self.overrides_sha256,
            "frames_with_pose": self.frames_with_pose,
            "count_check": self.count_check.to_dict() if self.count_check else None,
        }

    def findings_by_rule(self) -> dict[str, int]:
        """Number of findings per rule id."""
        out: dict[str, int] = {}
        for f in self.findings:
            out[f.rule_id] = out.get(f.rule_id, 0) + 1
        return dict(sorted(out.items()))


def _json_float(v: Any) -> Any:
    """NaN/inf become None; other floats are rounded to 0.01 (far below measurement error)."""
    if isinstance(v, float):
        return round(v, 2) if math.isfinite(v) else None
    return v
