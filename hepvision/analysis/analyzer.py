"""The per-frame path after pose: view, counted signal, causal smoothing, repetition counting.

One :class:`ExerciseAnalyzer` per exercise set, fed every :class:`PoseResult` in order. Live
and offline runs share the same per-frame path, so they count the same repetitions; offline
``finish()`` additionally re-measures each repetition's ROM and phase times on the zero-phase
Butterworth-smoothed signal (the count is unchanged).

Sides: ``left`` / ``right`` count that side; ``both``, ``alternating`` and ``either`` run one
counter per side and merge their excursions into repetitions by one rule (coinciding turning
points are one movement; see :mod:`hepvision.analysis.sides`), so ROM is reported per side and
never averaged over a moving and a resting limb. A frame's signal comes from image landmarks
when the view shows the signal's plane and its segments are seen square on, else from world
landmarks when they can read it, else it is not measurable (see
:func:`hepvision.kinematics.measure_angle`).

Around the counter: camera-setup checks (:class:`~hepvision.form.SetupChecker`) gate counting
(while a blocking check fails the counter sees "not measurable", so a repetition under way when
the setup becomes right still counts, as the state machine allows); the form engine
(:class:`~hepvision.form.FormEngine`) judges every frame and every counted repetition once
counting has begun, and one cue at a time goes to the frame's feedback. Hold templates time the
hold instead of counting (:mod:`hepvision.analysis.hold`).
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter

import numpy as np

from hepvision.analysis.constants import DEFAULT_CONSTANTS, CountingConstants
from hepvision.analysis.crosscheck import cross_check
from hepvision.analysis.hold import HoldTracker, compile_conditions
from hepvision.analysis.records import CountCheck, ExerciseAnalysis, FrameFeedback, Repetition
from hepvision.analysis.repdetail import build_repetition, judged_peak
from hepvision.analysis.sides import RepGroup, RepMerger, SideStream, bilateral_ok
from hepvision.analysis.signal import SignalReader
from hepvision.filters.offline import smooth_for_summary
from hepvision.form.cues import DEFAULT_MIN_GAP_MS, CueCandidate, CueScheduler
from hepvision.form.engine import FormEngine
from hepvision.form.findings import FormFinding
from hepvision.form.setup import SetupChecker
from hepvision.kinematics.angles import FramePoints
from hepvision.kinematics.foreshortening import SegmentTracker
from hepvision.kinematics.view import SessionView
from hepvision.pose.types import PoseResult
from hepvision.reps.state_machine import CounterSettings, CounterState
from hepvision.vocabulary import CountMethod, ReadingSource, Side, TemplateSide, View
from hepvision.templates.schema import (
    AngleCounter,
    DistanceCounter,
    ExerciseTemplate,
    HoldCounter,
    MeasureCounter,
)

_STATE_ORDER = {s: i for i, s in enumerate(CounterState)}
#: A hold template waits its setup time again after nobody was usable for this long.
HOLD_LOST_MS = 1500


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
                           finish_return_fraction=constants.finish_return_fraction,
                           rest_level=template.target.neutral)


class ExerciseAnalyzer:
    """Counts repetitions of ``template`` from pose results (``live``: no offline refinement)."""

    def __init__(self, template: ExerciseTemplate, *, live: bool = False,
                 muted: bool = False, cue_gap_ms: int = DEFAULT_MIN_GAP_MS,
                 constants: CountingConstants = DEFAULT_CONSTANTS,
                 check_count: bool = True) -> None:
        self.template = template
        self._check_count = check_count
        self._moved_share = constants.moved_share
        self.live = live
        c = template.counter
        self._hold: HoldTracker | None = None
        self._streams: list[SideStream] = []
        self._side = TemplateSide(template.side)
        if isinstance(c, HoldCounter):
            self.settings: CounterSettings | None = None
            self._hold = HoldTracker(c)
            self._conditions = compile_conditions(c)
        else:
            settings = counter_settings(template, constants)
            self.settings = settings
            sides = {TemplateSide.LEFT: (Side.LEFT,), TemplateSide.RIGHT: (Side.RIGHT,)}.get(
                self._side, (Side.LEFT, Side.RIGHT))
            self._streams = [SideStream(side, settings) for side in sides]
            self._merger = RepMerger(self._side, settings.rising)
            self._reader = SignalReader(c)
        self._setup = SetupChecker(template)
        self._form = FormEngine(template)
        self._cues = CueScheduler(cue_gap_ms, muted=muted)
        self._segments = SegmentTracker()
        self._hold_setup_ms = c.setup_ms
        self._seen_since = -1
        self._last_usable_ms = -HOLD_LOST_MS - 1
        self._view = SessionView()
        self._frames = 0
        self._frames_with_pose = 0
        self._measured = 0
        self._last_ms: int | None = None
        self._results: list[PoseResult] = []
        self._setup_messages: Counter[str] = Counter()

    def update(self, result: PoseResult) -> FrameFeedback:
        """Analyse one frame (timestamps must increase)."""
        ts = result.timestamp_ms
        if self._last_ms is not None and ts <= self._last_ms:
            raise ValueError(f"timestamps must increase ({ts} ms after {self._last_ms} ms)")
        self._last_ms = ts
        self._frames += 1
        frame = None
        if result.detected:
            frame = FramePoints.from_result(result, segments=self._segments)
            self._frames_with_pose += 1
            self._view.add(frame.view)
        view = frame.view.view if frame is not None else View.UNKNOWN
        setup = self._setup.update(frame, ts, (result.image_width_px, result.image_height_px))
        usable = frame if setup.ok else None
        if not setup.ok and setup.message:
            self._setup_messages[setup.message] += 1
        candidates: list[CueCandidate] = []
        if self._hold is not None:
            return self._update_hold(ts, frame, usable, setup.message, view, candidates)
        self._results.append(result)
        shown = self._count(ts, usable, candidates)
        state = max((s.machine.state for s in self._streams), key=_STATE_ORDER.__getitem__)
        if frame is not None:
            judging = usable is not None and state is not CounterState.SETUP
            at_rest = all(s.machine.state is CounterState.REST for s in self._streams)
            self._form.update(frame, ts, judging, at_rest, candidates)
        cue = self._cues.pick(ts, candidates) if candidates else None
        return FrameFeedback(ts, self.reps, shown, self.template.signal_unit, state.value,
                             view.value, setup.message, cue, pending=self._pending())

    def _count(self, ts: int, usable: FramePoints | None,
               candidates: list[CueCandidate]) -> float:
        """Feed every side's counter; the value to show (the most advanced side's)."""
        settings = self.settings
        assert settings is not None
        shown, shown_rank, measured = math.nan, -1, False
        for stream in self._streams:
            reading = self._reader.read(usable, stream.side)
            measured = measured or reading.value == reading.value
            smooth, event = stream.feed(ts, reading)
            if event is not None and event.counted and self._side is TemplateSide.BOTH \
                    and len(self._streams) == 2:
                other = self._streams[1] if stream is self._streams[0] else self._streams[0]
                if not bilateral_ok(event, other, settings, self._moved_share):
                    event = dataclasses.replace(event, counted=False,
                                                reason="other_side_short")
            if event is not None:
                group = self._merger.add(stream.side, event)
                if group is not None:
                    self._judge(group, stream, candidates)
            rank = _STATE_ORDER[stream.machine.state] if smooth == smooth else -1
            if rank > shown_rank:
                shown, shown_rank = smooth, rank
        self._measured += measured
        return shown

    def _judge(self, group: RepGroup, stream: SideStream,
               candidates: list[CueCandidate]) -> None:
        """The form engine's verdict on a newly counted repetition."""
        settings = self.settings
        assert settings is not None
        peak = judged_peak(group, self._streams, settings, self._side, self._moved_share)
        self._form.on_repetition(group.event, settings.rising, stream.side.value, candidates,
                                 peak)

    def _update_hold(self, ts: int, frame: FramePoints | None, usable: FramePoints | None,
                     message: str | None, view: View,
                     candidates: list[CueCandidate]) -> FrameFeedback:
        hold = self._hold
        assert hold is not None
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

    def _pending(self) -> int:
        """1 when a side is past its turn in an excursion no counted repetition covers."""
        last = self._merger.reps[-1] if self._merger.reps else None
        for stream in self._streams:
            start = stream.machine.pending_start_ms
            if start is not None and (last is None or start > last.end_ms):
                return 1
        return 0

    @property
    def reps(self) -> int:
        if self._hold is not None:
            return self._hold.completed
        return self._merger.count

    def finish(self) -> ExerciseAnalysis:
        """Close the set: unfinished excursions become partial; offline runs refine ROM; the
        count is cross-checked with the template-free counter."""
        refined = not self.live and self._hold is None
        if self._hold is not None:
            reps, partials = self._hold_bouts()
        else:
            reps, partials = self._repetitions(refined)
        t = self.template
        check = None
        if self._hold is None and self._check_count:
            common = self._setup_messages.most_common(1)
            check = cross_check(t, self._results, len(reps), partials, self._streams,
                                self._frames_with_pose, self._view.view,
                                None if self.live else self._recount,
                                common[0][0] if common else None, offline=not self.live)
            if check.count_method is CountMethod.TEMPLATE_FREE:
                reps = _with_free_repetitions(reps, check, t.side)
        findings = self._attach(self._form.finish(self._last_ms or 0), reps)
        return ExerciseAnalysis(
            t.id, t.content_sha256, t.signal_name, t.signal_unit, len(reps), tuple(reps),
            len(partials), tuple(partials), self._view.view.value, self._frames,
            self._measured, refined, tuple(findings), "hold" if self._hold else "reps",
            self._hold_seconds(reps), t.base_sha256 or t.content_sha256, t.overrides_sha256,
            self._frames_with_pose, check)

    def _repetitions(self, refined: bool) -> tuple[list[Repetition], list[Repetition]]:
        settings = self.settings
        assert settings is not None
        for stream in self._streams:
            if stream.times:
                event = stream.machine.finish(stream.times[-1])
                if event is not None:
                    self._merger.add(stream.side, event)
        smooth = {s.side.value: x for s in self._streams
                  if (x := self._smoothed(s)) is not None} if refined else None
        groups, partial_groups = self._merger.finish()
        counter = self.template.counter
        assert not isinstance(counter, HoldCounter)
        out = counter.concentric == "out"
        share = self._moved_share
        build = [build_repetition(g, self._streams, settings, self._side, out, smooth, share)
                 for g in groups]
        partials = [build_repetition(g, self._streams, settings, self._side, out, None, share)
                    for g in partial_groups]
        return build, partials

    def _hold_bouts(self) -> tuple[list[Repetition], list[Repetition]]:
        hold = self._hold
        assert hold is not None
        reps: list[Repetition] = []
        partials: list[Repetition] = []
        for b in hold.finish():
            rep = Repetition(b.start_ms, (b.start_ms + b.end_ms) // 2, b.end_ms, math.nan,
                             math.nan, math.nan, 0, 0, b.duration_ms, self.template.side)
            (reps if b.reached_target else partials).append(rep)
        return reps, partials

    def _hold_seconds(self, reps: list[Repetition]) -> float:
        if self._hold is None:
            return math.nan
        return sum(b.duration_ms for b in self._hold.bouts) / 1000.0

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

    def _recount(self, template: ExerciseTemplate) -> int:
        """``template``'s count on this set's recording (for the cross-check's suggestion)."""
        other = ExerciseAnalyzer(template, live=True, check_count=False)
        for result in self._results:
            other.update(result)
        return other.finish().reps

    @staticmethod
    def _smoothed(stream: SideStream) -> np.ndarray | None:
        times = np.asarray(stream.times, dtype=np.int64)
        if times.size < 16:
            return None
        fs = 1000.0 / float(np.median(np.diff(times)))
        return smooth_for_summary(np.asarray(stream.raw, dtype=np.float64), fs)


def _with_free_repetitions(reps: list[Repetition], check: CountCheck,
                           side: str) -> list[Repetition]:
    """``reps`` plus a ROM-less repetition for each template-free turning point that no counted
    repetition covers (the count_method = template_free rule of the cross-check)."""
    period = check.template_free_period_ms
    half = int(period / 2) if period == period else 1000
    out = list(reps)
    for peak in check.template_free_peaks_ms:
        if any(r.start_ms <= peak <= r.end_ms for r in reps):
            continue
        out.append(Repetition(peak - half, peak, peak + half, math.nan, math.nan, math.nan, 0, 0,
                              0, side, source=ReadingSource.NONE, confidence=0.0,
                              counted_by=CountMethod.TEMPLATE_FREE))
    return sorted(out, key=lambda r: r.start_ms)
