"""The repetition state machine: two thresholds with hysteresis, a setup state, minimum dwell
and minimum amplitude. Pure Python per sample (no numpy until a repetition ends).

States::

    SETUP --(signal seen for setup_ms)--> REST | OUTWARD | AT_TURN (from the current value)
    REST    --(past start + hysteresis)--> OUTWARD
    OUTWARD --(past turn)--> AT_TURN          OUTWARD --(back behind start)--> REST (partial)
    AT_TURN --(back behind turn - hysteresis)--> RETURN
    RETURN  --(past turn again)--> AT_TURN    RETURN --(behind start)--> REST (rep counted)
    any     --(signal lost longer than max_gap_ms)--> SETUP (as at the end of the stream)

"Past" means in the outward direction (rising when start < turn, falling otherwise). Every
transition needs its condition to hold for ``min_dwell_ms``; its time is back-dated to when the
condition first held. Dwell is time, not samples, at any pose rate (a phone sends 3-15 irregular
poses/s): a sample stands for half the interval to each measured neighbour, so the condition
has held from halfway to the sample before its first one, up to the current sample, or up to
halfway to the sample that ended it (one pose 250 ms after the last passes a 120-ms dwell; at
24-30 frames/s this takes the five frames it always did). After a transition the samples that
held its condition are judged again in the new state, so a descent that passed the turn and the
start between two poses returns to rest on those poses. A repetition is counted when the signal returns to rest, with an excursion
(peak against the lower of its start and end values) of at least ``min_amplitude``; otherwise it
is reported as partial. A repetition already under way when setup ends (its start value is then
unknown) is counted only if its turning point lies inside the recording: it reaches the turn,
its peak comes after the first sample and goes beyond it by at least the hysteresis, and it
returns. A patient first seen at or past the turn (a curl that starts flexed, a raise filmed
from the top) is finishing a movement the recording did not see: that fragment is partial
(``started_before_recording``), and the first full repetition after it counts.

The patient's own resting level: the template's ``start`` assumes a neutral rest (e.g. knees
straight, 0-10 deg), but a camera view or a posture can make rest read higher (knee flexion
from a front camera reads 20-35 deg standing). The effective start is therefore
``clamp(rest level + 2 x hysteresis, start, (start + turn) / 2)``, with the rest level the
median of the last second of samples seen at rest, time-weighted so that it covers the same
stretch of rest at any pose rate (:class:`~hepvision.reps.rest_level.RestLevel`; starting
from the patient's neutral, ``rest_level``, when a neutral capture gave one); the turn never
moves. A sample already leaving rest (past the start) is not a rest level.

End of stream: an excursion that left rest inside the recording and has reached the turn (its
turning point is inside the recording) counts when it has covered at least ``finish_return_fraction`` of the way back from
its peak to the effective start (default :data:`FINISH_RETURN_FRACTION` = 0: the turning point
alone decides, as the labelling convention of repetition datasets does; ``hepvision bench reps
--folds`` fits it); anything less, or an excursion that never reached the turn, is partial.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np

from hepvision.reps.excursion import summarize_excursion
from hepvision.reps.rest_level import RestLevel

#: Share of the way back from peak to start that counts a repetition cut by the end of stream.
FINISH_RETURN_FRACTION = 0.0


class CounterState(str, Enum):
    SETUP = "setup"
    REST = "rest"
    OUTWARD = "outward"
    AT_TURN = "at_turn"
    RETURN = "return"


@dataclass(frozen=True, slots=True)
class CounterSettings:
    """Thresholds in the signal's unit (degrees or a ratio); times in milliseconds."""

    start: float
    turn: float
    hysteresis: float
    min_amplitude: float
    min_dwell_ms: int = 120
    setup_ms: int = 500
    max_gap_ms: int = 1500
    finish_return_fraction: float = FINISH_RETURN_FRACTION
    #: The patient's neutral (a neutral capture): the rest level starts from it (None: from
    #: the first samples at rest).
    rest_level: float | None = None

    def __post_init__(self) -> None:
        if abs(self.turn - self.start) <= 2 * self.hysteresis:
            raise ValueError("start and turn must be more than twice the hysteresis apart")

    @property
    def rising(self) -> bool:
        return self.turn > self.start


@dataclass(frozen=True, slots=True)
class RepEvent:
    """One finished excursion.

    Attributes:
        start_ms, peak_ms, end_ms: leaving rest, the extreme value, back at rest (ms).
        start_value, peak_value, end_value: signal values there (start NaN when the excursion
            was under way at setup).
        out_ms, hold_ms, back_ms: time from start to reaching the peak region, time spent in
            it (within max(hysteresis / 2, 5 % of the range) of the peak), time from leaving it to
            the end.
        counted: True for a repetition, False for a partial one.
        reason: why a partial one was not counted ("" when counted).
    """

    start_ms: int
    peak_ms: int
    end_ms: int
    start_value: float
    peak_value: float
    end_value: float
    out_ms: int
    hold_ms: int
    back_ms: int
    counted: bool
    reason: str = ""


class RepStateMachine:
    """Counts repetitions of one scalar signal sample by sample (see the module docstring)."""

    def __init__(self, settings: CounterSettings) -> None:
        self.settings = settings
        self._sign = 1.0 if settings.rising else -1.0
        self._s = settings.start * self._sign
        self._t = settings.turn * self._sign
        self.state = CounterState.SETUP
        self.reps = 0
        self.events: list[RepEvent] = []
        self._seen_since = -1
        self._last_valid_ms = -1
        self._pending: CounterState | None = None
        self._pending_since = 0
        self._prev_ms: int | None = None
        self._prev_measured = False
        self._held_from = 0.0
        self._run: list[tuple[int, float, int | None]] = []
        self._dwell_t: list[int] = []
        self._dwell_x: list[float] = []
        self._buf_t: list[int] = []
        self._buf_x: list[float] = []
        self._rest_t = -1
        self._rest_x = math.nan
        self._rest_low = math.inf
        self._start_x = math.nan
        self._start_t = 0
        self._eff_s = self._s
        neutral = settings.rest_level
        self._rest_level = RestLevel(None if neutral is None else neutral * self._sign)
        self._move_start(self._rest_level.level)

    @property
    def effective_start(self) -> float:
        """The start threshold in use: the template's, moved by the rest level (module doc)."""
        return self._eff_s * self._sign

    @property
    def pending_start_ms(self) -> int | None:
        """Start of an excursion that left rest in view and is past its turn (it counts when
        the patient returns, or when the recording of it ends); None otherwise."""
        if self.state in (CounterState.AT_TURN, CounterState.RETURN) \
                and self._start_x == self._start_x:
            return int(self._start_t)
        return None

    @property
    def partial_reps(self) -> int:
        return sum(1 for e in self.events if not e.counted)

    def update(self, timestamp_ms: int, value: float) -> RepEvent | None:
        """Feed one sample (NaN when not measurable); returns an event when one finishes."""
        previous_ms, self._prev_ms = self._prev_ms, timestamp_ms
        measured_before, self._prev_measured = self._prev_measured, value == value
        if not value == value:
            if self._last_valid_ms >= 0 and \
                    timestamp_ms - self._last_valid_ms > self.settings.max_gap_ms:
                return self._lose(timestamp_ms)
            return None
        x = value * self._sign
        self._last_valid_ms = timestamp_ms
        if self.state is CounterState.SETUP:
            if x < (self._s + self._t) / 2:  # a still patient during setup is at rest
                self._track_rest_level(x, timestamp_ms, previous_ms)
            if self._seen_since < 0:
                self._seen_since = timestamp_ms
                self._buf_t, self._buf_x = [], []
            self._buf_t.append(timestamp_ms)  # an excursion under way keeps what setup saw
            self._buf_x.append(value)
            if timestamp_ms - self._seen_since >= self.settings.setup_ms:
                self._begin(timestamp_ms, x)
            return None
        credit_from = previous_ms if measured_before else None
        return self._step(timestamp_ms, value, previous_ms, credit_from)

    def _step(self, timestamp_ms: int, value: float, previous_ms: int | None,
              credit_from: int | None) -> RepEvent | None:
        """One measured sample after setup: a condition it ends, buffers, rest level, then
        dwell and transitions (``credit_from``: the sample before, when it was measured)."""
        x = value * self._sign
        ended = self._ended_run(timestamp_ms, x, credit_from is not None)
        if self.state is not CounterState.REST:
            self._buf_t.append(timestamp_ms)
            self._buf_x.append(value)
        if self.state is CounterState.REST:
            self._anchor_rest(timestamp_ms, x)
            if self._target(x) is None:  # a sample already leaving rest is no rest level
                self._track_rest_level(x, timestamp_ms, previous_ms)
        return self._judge(timestamp_ms, x, credit_from) or ended

    def _ended_run(self, timestamp_ms: int, x: float, measured_before: bool) -> RepEvent | None:
        """A pending condition that stopped holding at this sample: when its samples stood for
        ``min_dwell_ms`` (each for half the interval to either neighbour: the trailing half is
        known now), its transition happened, at its last sample. At 10 poses/s one pose past a
        jumping jack's turn stands for 100 ms, more than its 60-ms dwell."""
        if self._pending is None or not self._run or not measured_before \
                or self._target(x) is self._pending:
            return None
        t_last, x_last, _ = self._run[-1]
        if (t_last + timestamp_ms) / 2 - self._held_from < self.settings.min_dwell_ms:
            return None
        return self._fire(t_last, x_last)

    def _judge(self, t: int, x: float, credit_from: int | None) -> RepEvent | None:
        """Dwell and transitions for one sample: the pending transition is made once its
        condition has held ``min_dwell_ms``, counted from halfway to the sample before (when
        that one was measured), so one pose 250 ms after the last stands for 125 ms."""
        ended = self._ended_run(t, x, credit_from is not None)
        target = self._target(x)
        if target is None:
            self._pending, self._run = None, []
            return ended
        if target is not self._pending:
            self._pending, self._pending_since = target, t
            self._held_from = t if credit_from is None else (credit_from + t) / 2
            self._dwell_t, self._dwell_x, self._run = [], [], []
        self._run.append((t, x, credit_from))
        if self.state is CounterState.REST and target is CounterState.OUTWARD:
            self._dwell_t.append(t)
            self._dwell_x.append(x * self._sign)
        if t - self._held_from < self.settings.min_dwell_ms:
            return ended
        return self._fire(t, x) or ended

    def _fire(self, t: int, x: float) -> RepEvent | None:
        """Make the pending transition at sample ``t``, then judge the samples that held its
        condition again in the new state: a fast descent at a low pose rate passes the turn and
        the start between two poses, and the return to rest has held as long as those poses
        show, not only since the first transition."""
        target, run = self._pending, self._run
        assert target is not None
        self._pending, self._run = None, []
        event = self._enter(target, t, x * self._sign)
        for tr, xr, credit in run:
            event = self._judge(tr, xr, credit) or event
        return event

    def _anchor_rest(self, timestamp_ms: int, x: float) -> None:
        """The repetition's start: the lowest rest level, at the last sample near it."""
        if x < self._rest_low:
            self._rest_low = x
        if x <= self._rest_low + self.settings.hysteresis:
            self._rest_t, self._rest_x = timestamp_ms, x * self._sign

    def _track_rest_level(self, x: float, t_ms: int, previous_ms: int | None) -> None:
        """Move the effective start with the median resting level (see the module doc); the
        sample stands for the time since the one before it."""
        weight = 0.0 if previous_ms is None else float(t_ms - previous_ms)
        self._move_start(self._rest_level.add(x, weight))

    def _move_start(self, level: float | None) -> None:
        if level is not None:
            h = self.settings.hysteresis
            self._eff_s = min(max(level + 2 * h, self._s), (self._s + self._t) / 2)

    def _target(self, x: float) -> CounterState | None:
        st, s, t, h = self.state, self._eff_s, self._t, self.settings.hysteresis
        if st is CounterState.REST:
            return CounterState.OUTWARD if x > s + h else None
        if st is CounterState.OUTWARD:
            if x >= t:
                return CounterState.AT_TURN
            return CounterState.REST if x < s else None
        if st is CounterState.AT_TURN:
            return CounterState.RETURN if x < t - h else None
        if x >= t:  # RETURN
            return CounterState.AT_TURN
        return CounterState.REST if x < s else None

    def _begin(self, timestamp_ms: int, x: float) -> None:
        if x <= self._eff_s + self.settings.hysteresis:
            self.state = CounterState.REST
            self._rest_t, self._rest_x, self._rest_low = timestamp_ms, x * self._sign, x
            self._buf_t, self._buf_x = [], []
            return
        self.state = CounterState.AT_TURN if x >= self._t else CounterState.OUTWARD
        self._start_t, self._start_x = self._buf_t[0], math.nan

    def _enter(self, target: CounterState, timestamp_ms: int, value: float) -> RepEvent | None:
        prev = self.state
        self.state = target
        if prev is CounterState.REST:  # leaving rest: a new excursion from the last rest sample
            t0 = self._rest_t if self._rest_t >= 0 else self._pending_since
            self._start_t, self._start_x = t0, self._rest_x
            self._buf_t = [t0, *self._dwell_t]
            self._buf_x = [self._rest_x, *self._dwell_x]
            return None
        if target is CounterState.REST:
            self._rest_t, self._rest_x, self._rest_low = timestamp_ms, value, value * self._sign
            return self._finish(timestamp_ms, value, reached_turn=prev is CounterState.RETURN)
        return None

    def _finish(self, end_ms: int, end_value: float, reached_turn: bool) -> RepEvent:
        ts = np.asarray(self._buf_t, dtype=np.int64)
        xs = np.asarray(self._buf_x, dtype=np.float64)
        peak_ms, peak_v, out_ms, hold_ms, back_ms = summarize_excursion(
            ts, xs, self.settings.rising, self.settings.hysteresis / 2)
        start_v = self._start_x
        base = end_value if not start_v == start_v else (
            min(start_v, end_value) if self.settings.rising else max(start_v, end_value))
        amplitude = abs(peak_v - base)
        counted = reached_turn and amplitude >= self.settings.min_amplitude
        reason = "" if counted else (
            "did_not_reach_turn" if not reached_turn else "below_min_amplitude")
        if counted and not start_v == start_v and not self._turn_seen(ts, xs, peak_ms):
            counted, reason = False, "started_before_recording"
        event = RepEvent(int(self._start_t), peak_ms, int(end_ms), start_v, peak_v, end_value,
                         out_ms, hold_ms, back_ms, counted, reason)
        if counted:
            self.reps += 1
        self.events.append(event)
        self._buf_t, self._buf_x = [], []
        return event

    def _turn_seen(self, ts: np.ndarray, xs: np.ndarray, peak_ms: int) -> bool:
        """For an excursion under way when counting began: was its turning point recorded
        (the peak after the first sample, beyond it by the hysteresis)?"""
        seen = xs[np.isfinite(xs)]
        if seen.size == 0:
            return False
        first = float(seen[0])
        beyond = float(seen.max()) - first if self.settings.rising else first - float(seen.min())
        return peak_ms - int(ts[0]) >= self.settings.min_dwell_ms and \
            beyond >= self.settings.hysteresis

    def _partial(self, reason: str) -> RepEvent | None:
        """Close an excursion still under way as a partial repetition (not counted)."""
        if self.state not in (CounterState.OUTWARD, CounterState.AT_TURN,
                              CounterState.RETURN) or not self._buf_t:
            return None
        ts = np.asarray(self._buf_t, dtype=np.int64)
        xs = np.asarray(self._buf_x, dtype=np.float64)
        peak_ms, peak_v, out_ms, hold_ms, back_ms = summarize_excursion(
            ts, xs, self.settings.rising, self.settings.hysteresis / 2)
        event = RepEvent(int(self._start_t), peak_ms, int(ts[-1]), self._start_x, peak_v,
                         float(xs[-1]), out_ms, hold_ms, back_ms, False, reason)
        self.events.append(event)
        self._buf_t, self._buf_x = [], []
        return event

    def _lose(self, timestamp_ms: int) -> RepEvent | None:
        """The signal was lost (the patient left the picture): like the end of the stream for
        the excursion under way (a sit-to-stand whose patient then walks away counts)."""
        event = self._close("signal_lost")
        self.state = CounterState.SETUP
        self._seen_since = -1
        self._last_valid_ms = -1
        self._pending = None
        self._rest_t, self._rest_x, self._rest_low = -1, math.nan, math.inf
        return event

    def finish(self, timestamp_ms: int) -> RepEvent | None:
        """End of stream: a repetition past its turning point counts (see the module doc);
        any other excursion is partial."""
        event = self._close("unfinished")
        if event is not None:
            self.state = CounterState.SETUP
        return event

    def _close(self, reason: str) -> RepEvent | None:
        """Close the excursion under way when the recording of it ends: counted when it left
        rest inside the recording, reached the turn and came ``finish_return_fraction`` of the
        way back; else partial with ``reason``."""
        known_start = self._start_x == self._start_x  # left rest inside the recording
        if self.state in (CounterState.AT_TURN, CounterState.RETURN) and self._buf_x \
                and known_start:
            peak = max(v * self._sign for v in self._buf_x if v == v)
            last = self._buf_x[-1] * self._sign
            span = peak - self._eff_s
            if span > 0 and (peak - last) / span >= self.settings.finish_return_fraction:
                return self._finish(int(self._buf_t[-1]), self._buf_x[-1], reached_turn=True)
        return self._partial(reason)
