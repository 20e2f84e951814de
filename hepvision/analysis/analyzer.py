"""The per-frame path after pose: view, counted signal, causal smoothing, repetition counting.

One :class:`ExerciseAnalyzer` per exercise set, fed every :class:`PoseResult` in order. Live
and offline runs share the same per-frame path, so they count the same repetitions; offline
``finish()`` additionally re-measures each repetition's ROM and phase times on the zero-phase
Butterworth-smoothed signal (the count is unchanged).

Sides: ``both`` counts the mean of the two sides (either side alone when only one is
measurable); ``left`` / ``right`` count that side; ``alternating`` runs one counter per side
and adds their counts. A frame's signal comes from image landmarks when the view shows the
signal's plane, else from world landmarks (see :func:`hepvision.kinematics.measure_angle`).

Around the counter: camera-setup checks (:class:`~hepvision.form.SetupChecker`) gate counting
(while a blocking check fails the counter sees "not measurable", so a repetition under way when
the setup becomes right still counts, as the state machine allows); the form engine
(:class:`~hepvision.form.FormEngine`) judges every frame and every counted repetition once
counting has begun, and one cue at a time goes to the frame's feedback. Hold templates time the
hold instead of counting (:mod:`hepvision.analysis.hold`).
"""

from __future__ import annotations

import bisect
import dataclasses
import math

import numpy as np

from hepvision.analysis.constants import DEFAULT_CONSTANTS, CountingConstants
from hepvision.analysis.hold import HoldTracker, compile_conditions
from hepvision.analysis.records import ExerciseAnalysis, FrameFeedback, Repetition
from hepvision.filters.offline import smooth_for_summary
from hepvision.filters.one_euro import OneEuroScalar
from hepvision.kinematics.angles import FramePoints, measure_angle
from hepvision.kinematics.definitions import AngleName, DistanceName, Side
from hepvision.form.cues import DEFAULT_MIN_GAP_MS, CueScheduler
from hepvision.form.engine import FormEngine
from hepvision.form.findings import FormFinding
from hepvision.form.setup import SetupChecker
from hepvision.kinematics.distances import measure_distance
from hepvision.kinematics.measures import MeasureName, measure
from hepvision.kinematics.view import SessionView, View
from hepvision.pose.types import PoseResult
from hepvision.reps.state_machine import (
    CounterSettings,
    CounterState,
    RepEvent,
    RepStateMachine,
    summarize_excursion,
)
from hepvision.templates.schema import (
    AngleCounter,
    DistanceCounter,
    ExerciseTemplate,
    HoldCounter,
    MeasureCounter,
)

#: One-Euro settings for the counted signal: ~3 frames of lag at rest at 30 fps, ~1 in motion.
SIGNAL_MIN_CUTOFF_HZ = 1.5
SIGNAL_BETA = 0.02
_STATE_ORDER = {s: i for i, s in enumerate(CounterState)}
#: A hold template waits its setup time again after nobody was usable for this long.
HOLD_LOST_MS = 1500
#: A repetition's ROM is judged on the extreme of the raw signal's centred moving mean over
#: this window (a level held about 1/6 s), not on its single most extreme sample.
ROM_PEAK_WINDOW_MS = 300


def sustained_peak(times_ms: list[int], values: list[float], start_ms: int, end_ms: int,
                   rising: bool, window_ms: int = ROM_PEAK_WINDOW_MS) -> float:
    """The extreme (max when ``rising``) over ``[start_ms, end_ms]`` of the centred moving mean
    of ``values`` over ``window_ms`` (NaN samples skipped); NaN when nothing was measured."""
    i0 = bisect.bisect_left(times_ms, start_ms)
    i1 = bisect.bisect_right(times_ms, end_ms)
    t = np.asarray(times_ms[i0:i1], dtype=np.int64)
    x = np.asarray(values[i0:i1], dtype=np.float64)
    ok = np.isfinite(x)
    if not ok.any():
        return math.nan
    csum = np.concatenate(([0.0], np.cumsum(np.where(ok, x, 0.0))))
    cnt = np.concatenate(([0], np.cumsum(ok)))
    half = window_ms // 2
    lo = np.searchsorted(t, t - half, side="left")
    hi = np.searchsorted(t, t + half, side="right")
    n = cnt[hi] - cnt[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, (csum[hi] - csum[lo]) / np.maximum(n, 1), np.nan)
    return float(np.nanmax(mean) if rising else np.nanmin(mean))


def counter_settings(template: ExerciseTemplate,
                     constants: CountingConstants = DEFAULT_CONSTANTS) -> CounterSettings:
    """The state machine's settings from a template's counter table."""
    c = template.counter
    if isinstance(c, AngleCounter):
        start, turn, hyst, amp = c.start_deg, c.turn_deg, c.hysteresis_deg, c.min_amplitude_deg
    elif isinstance(c, DistanceCounter):
        start, turn, hyst, amp = (c.start_ratio, c.turn_ratio, c.hysteresis_ratio,
                                  c.min_amplitude_ratio)
    elif isinstance(c, MeasureCounter):
        start, turn, hyst, amp = c.start, c.turn, c.hysteresis, c.min_amplitude
    else:
        raise ValueError(f"{template.id!r} is a timed hold; it has no repetition counter")
    return CounterSettings(start, turn, hyst, amp, c.min_dwell_ms, c.setup_ms,
                           finish_return_fraction=constants.finish_return_fraction)


class _Stream:
    """One counted signal: its filter, its state machine and its recorded samples."""

    __slots__ = ("side", "sides", "filter", "machine", "times", "raw")

    def __init__(self, side: str, sides: tuple[Side, ...], settings: CounterSettings) -> None:
        self.side = side
        self.sides = sides
        self.filter = OneEuroScalar(SIGNAL_MIN_CUTOFF_HZ, SIGNAL_BETA)
        self.machine = RepStateMachine(settings)
        self.times: list[int] = []
        self.raw: list[float] = []


class ExerciseAnalyzer:
    """Counts repetitions of ``template`` from pose results (``live``: no offline refinement)."""

    def __init__(self, template: ExerciseTemplate, *, live: bool = False,
                 muted: bool = False, cue_gap_ms: int = DEFAULT_MIN_GAP_MS,
                 constants: CountingConstants = DEFAULT_CONSTANTS) -> None:
        self.template = template
        self.live = live
        c = template.counter
        self._hold: HoldTracker | None = None
        self._angle: AngleName | None = c.angle if isinstance(c, AngleCounter) else None
        self._distance: DistanceName | None = (c.distance if isinstance(c, DistanceCounter)
                                               else None)
        self._measure: MeasureName | None = c.measure if isinstance(c, MeasureCounter) else None
        if isinstance(c, HoldCounter):
            self.settings = None
            self._hold = HoldTracker(c)
            self._conditions = compile_conditions(c)
            self._streams: list[_Stream] = []
        else:
            self.settings = counter_settings(template, constants)
            side = template.side
            if side == "alternating":
                self._streams = [_Stream("left", (Side.LEFT,), self.settings),
                                 _Stream("right", (Side.RIGHT,), self.settings)]
            elif side == "both":
                self._streams = [_Stream("both", (Side.LEFT, Side.RIGHT), self.settings)]
            else:
                self._streams = [_Stream(side, (Side(side),), self.settings)]
        self._setup = SetupChecker(template)
        self._form = FormEngine(template)
        self._cues = CueScheduler(cue_gap_ms, muted=muted)
        self._hold_setup_ms = c.setup_ms
        self._seen_since = -1
        self._last_usable_ms = -HOLD_LOST_MS - 1
        self._view = SessionView()
        self._frames = 0
        self._measured = 0
        self._last_ms: int | None = None

    def _side_value(self, frame: FramePoints, side: Side) -> float:
        if self._angle is not None:
            return measure_angle(frame, self._angle, side).value_deg
        if self._measure is not None:
            return measure(frame, self._measure, side)
        return measure_distance(frame, self._distance, side)[0]

    def update(self, result: PoseResult) -> FrameFeedback:
        """Analyse one frame (timestamps must increase)."""
        ts = result.timestamp_ms
        if self._last_ms is not None and ts <= self._last_ms:
            raise ValueError(f"timestamps must increase ({ts} ms after {self._last_ms} ms)")
        self._last_ms = ts
        self._frames += 1
        frame = FramePoints.from_result(result) if result.detected else None
        view = frame.view.view if frame is not None else View.UNKNOWN
        if frame is not None:
            self._view.add(frame.view)
        setup = self._setup.update(frame, ts, (result.image_width_px, result.image_height_px))
        usable = frame if setup.ok else None
        candidates: list[tuple[int, str, int, str]] = []
        if self._hold is not None:
            return self._update_hold(ts, frame, usable, setup.message, view, candidates)
        shown = math.nan
        any_measured = False
        rising = self.settings.rising
        for stream in self._streams:
            value = math.nan
            if usable is not None:
                vals = [self._side_value(usable, s) for s in stream.sides]
                vals = [v for v in vals if v == v]
                if vals:
                    value = sum(vals) / len(vals)
                    any_measured = True
            stream.times.append(ts)
            stream.raw.append(value)
            smooth = stream.filter(value, ts)
            event = stream.machine.update(ts, smooth)
            if event is not None and event.counted:
                peak = sustained_peak(stream.times, stream.raw, event.start_ms, event.end_ms,
                                      rising)
                self._form.on_repetition(event, rising, stream.side, candidates, peak)
            if shown != shown:
                shown = smooth
        self._measured += any_measured
        state = max((s.machine.state for s in self._streams), key=_STATE_ORDER.__getitem__)
        if frame is not None:
            judging = usable is not None and state is not CounterState.SETUP
            at_rest = all(s.machine.state is CounterState.REST for s in self._streams)
            self._form.update(frame, ts, judging, at_rest, candidates)
        cue = self._cues.pick(ts, candidates) if candidates else None
        return FrameFeedback(ts, self.reps, shown, self.template.signal_unit, state.value,
                             view.value, setup.message, cue)

    def _update_hold(self, ts: int, frame: FramePoints | None, usable: FramePoints | None,
                     message: str | None, view: View,
                     candidates: list[tuple[int, str, int, str]]) -> FrameFeedback:
        hold = self._hold
        ok: bool | None = None
        if usable is not None:
            self._last_usable_ms = ts
            if self._seen_since < 0:
                self._seen_since = ts
            if ts - self._seen_since >= self._hold_setup_ms:
                ok = True
                for cond in self._conditions:
                    met = cond.met(usable)
                    if met is None:
                        ok = None
                        break
                    ok = ok and met
            self._measured += 1
        elif ts - self._last_usable_ms > HOLD_LOST_MS:
            self._seen_since = -1
        hold.update(ts, ok)
        if frame is not None:
            self._form.update(frame, ts, hold.holding and usable is not None, False,
                              candidates)
        cue = self._cues.pick(ts, candidates) if candidates else None
        state = "holding" if hold.holding else ("setup" if self._seen_since < 0 else "rest")
        current = hold.current_s()
        return FrameFeedback(ts, hold.completed, current, "s", state, view.value, message, cue,
                             current)

    @property
    def reps(self) -> int:
        if self._hold is not None:
            return self._hold.completed
        return sum(s.machine.reps for s in self._streams)

    def finish(self) -> ExerciseAnalysis:
        """Close the set: unfinished excursions become partial; offline runs refine ROM."""
        reps: list[Repetition] = []
        partials: list[Repetition] = []
        refined = not self.live and self._hold is None
        for stream in self._streams:
            if stream.times:
                stream.machine.finish(stream.times[-1])
            smooth = self._smoothed(stream) if refined else None
            for ev in stream.machine.events:
                rep = self._repetition(ev, stream, smooth)
                (reps if ev.counted else partials).append(rep)
        hold_s = math.nan
        if self._hold is not None:
            bouts = self._hold.finish()
            hold_s = sum(b.duration_ms for b in bouts) / 1000.0
            for b in bouts:
                rep = Repetition(b.start_ms, (b.start_ms + b.end_ms) // 2, b.end_ms, math.nan,
                                 math.nan, math.nan, 0, 0, b.duration_ms, self.template.side)
                (reps if b.reached_target else partials).append(rep)
        reps.sort(key=lambda r: r.start_ms)
        partials.sort(key=lambda r: r.start_ms)
        findings = self._attach(self._form.finish(self._last_ms or 0), reps)
        t = self.template
        return ExerciseAnalysis(t.id, t.content_sha256, t.signal_name, t.signal_unit,
                                len(reps), tuple(reps), len(partials), tuple(partials),
                                self._view.view.value, self._frames, self._measured, refined,
                                tuple(findings), "hold" if self._hold else "reps", hold_s,
                                t.base_sha256 or t.content_sha256, t.overrides_sha256)

    @staticmethod
    def _attach(findings: list[FormFinding], reps: list[Repetition]) -> list[FormFinding]:
        """Each finding's repetition (by time); each repetition's rule ids (in place)."""
        out = []
        per_rep: dict[int, list[str]] = {}
        for f in findings:
            index = next((i for i, r in enumerate(reps)
                          if r.start_ms <= f.time_ms <= r.end_ms), None)
            out.append(dataclasses.replace(f, rep_index=index))
            if index is not None and f.rule_id not in per_rep.setdefault(index, []):
                per_rep[index].append(f.rule_id)
        for i, ids in per_rep.items():
            reps[i] = dataclasses.replace(reps[i], findings=tuple(ids))
        return out

    def _smoothed(self, stream: _Stream) -> np.ndarray | None:
        times = np.asarray(stream.times, dtype=np.int64)
        if times.size < 16:
            return None
        fs = 1000.0 / float(np.median(np.diff(times)))
        return smooth_for_summary(np.asarray(stream.raw, dtype=np.float64), fs)

    def _repetition(self, ev: RepEvent, stream: _Stream, smooth: np.ndarray | None) -> Repetition:
        start_v, peak_ms, peak_v, end_v = ev.start_value, ev.peak_ms, ev.peak_value, ev.end_value
        out_ms, hold_ms, back_ms = ev.out_ms, ev.hold_ms, ev.back_ms
        if smooth is not None:
            times = np.asarray(stream.times, dtype=np.int64)
            i0, i1 = np.searchsorted(times, [ev.start_ms, ev.end_ms])
            seg_t, seg_x = times[i0:i1 + 1], smooth[i0:i1 + 1]
            if np.isfinite(seg_x).sum() >= 3:
                peak_ms, peak_v, out_ms, hold_ms, back_ms = summarize_excursion(
                    seg_t, seg_x, self.settings.rising, self.settings.hysteresis / 2)
                if start_v == start_v and np.isfinite(seg_x[0]):
                    start_v = float(seg_x[0])
                if np.isfinite(seg_x[-1]):
                    end_v = float(seg_x[-1])
        base = start_v if start_v == start_v else end_v
        conc, ecc = (out_ms, back_ms) if self.template.counter.concentric == "out" \
            else (back_ms, out_ms)
        return Repetition(ev.start_ms, peak_ms, ev.end_ms, start_v, peak_v, abs(peak_v - base),
                          conc, ecc, hold_ms, stream.side)
