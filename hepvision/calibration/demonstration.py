"""A demonstration's repetitions: the template's counted signal read on every frame, and the
first clear repetitions found in it without any threshold from the template.

Method (offline, on the whole demonstration):

1. The counted signal (what the counter follows, :class:`~hepvision.analysis.signal.
   SignalReader`'s ``count_value``) is read per side. Sides are combined as the template counts
   them: ``both`` -> the mean of the sides seen (both limbs make one repetition), ``alternating``
   / ``either`` -> the more advanced side (one limb per repetition), ``left`` / ``right`` -> that
   side. The outward direction is the template's (``turn`` above or below ``start``).
2. Short gaps are filled and the signal is smoothed with the offline zero-phase chain.
3. Candidate turning points are peaks whose prominence is at least :data:`PROMINENCE_SHARE` of
   the signal's robust range (5th to 95th percentile) and at least the template's hysteresis
   (the smallest change the counter can tell from noise).
4. A candidate is a *clear repetition* when the signal is seen at rest on both sides of it: the
   lowest points between it and each neighbour (or the recording's edge) lie within
   :data:`REST_TOLERANCE` of the excursion of each other; at the recording's edge the rest
   must hold steady for :data:`REST_MIN_MS` (a movement under way when the recording starts,
   or cut by its end, is not clear).

Limits: one exercise per demonstration; the repetitions must be of similar range (see
:mod:`~hepvision.calibration.learn`); a camera that moves during the demonstration moves the
signal with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

from hepvision.analysis.signal import SignalReader
from hepvision.errors import HepvisionError
from hepvision.filters.offline import fill_short_gaps, smooth_for_summary
from hepvision.kinematics.angles import FramePoints
from hepvision.kinematics.foreshortening import SegmentTracker
from hepvision.pose.types import PoseResult
from hepvision.templates.counters import HoldCounter, start_turn
from hepvision.templates.schema import ExerciseTemplate
from hepvision.vocabulary import Side, TemplateSide

#: A turning point's prominence, as a share of the signal's robust range.
PROMINENCE_SHARE = 0.4
#: The rest on either side of a clear repetition: within this share of its excursion.
REST_TOLERANCE = 0.3
#: A rest at the recording's edge must hold within this share of the excursion ...
REST_BAND = 0.1
#: ... for at least this long (ms).
REST_MIN_MS = 400
#: Smoothing cut-off of the segmentation (Hz): human repetitions are slower than 2 Hz.
SEGMENT_CUTOFF_HZ = 3.0


class DemonstrationError(HepvisionError):
    """A demonstration that cannot teach a template (too few clear repetitions, no signal)."""


@dataclass(frozen=True, slots=True)
class DemoSignal:
    """The counted signal of a demonstration.

    Attributes:
        times_ms: (T,) int64 frame times.
        values: (T,) float64 combined signal in the counter's unit (NaN: not seen).
        sides: side -> (T,) float64 that side's signal (NaN: not seen).
        rising: True when the outward phase raises the signal.
    """

    times_ms: np.ndarray
    values: np.ndarray
    sides: dict[Side, np.ndarray]
    rising: bool


@dataclass(frozen=True, slots=True)
class DemoRepetition:
    """One clear repetition, in the counter's unit (values as read, not oriented).

    Attributes:
        start_ms, peak_ms, end_ms: the rest before, the turning point, the rest after.
        rest_before, peak, rest_after: the signal there (smoothed).
        hold_ms: time spent within 5 % of the excursion of the peak.
    """

    start_ms: int
    peak_ms: int
    end_ms: int
    rest_before: float
    peak: float
    rest_after: float
    hold_ms: int

    def excursion(self) -> float:
        """Peak minus the mean of the two rests (signed: negative for a falling signal)."""
        return self.peak - (self.rest_before + self.rest_after) / 2.0


def read_signal(results: list[PoseResult], template: ExerciseTemplate) -> DemoSignal:
    """The template's counted signal on every frame of ``results`` (see the module doc).

    Raises:
        DemonstrationError: a timed-hold template (nothing to count), or no frame with a
            person in view.
    """
    counter = template.counter
    if isinstance(counter, HoldCounter):
        raise DemonstrationError(f"{template.id!r} is a timed hold: a demonstration teaches "
                                 "repetition templates only")
    start, turn = start_turn(counter)
    reader = SignalReader(counter)
    segments = SegmentTracker()
    times = np.array([r.timestamp_ms for r in results], dtype=np.int64)
    per_side = {s: np.full(len(results), np.nan) for s in (Side.LEFT, Side.RIGHT)}
    seen = 0
    for i, result in enumerate(results):
        if not result.detected:
            continue
        seen += 1
        frame = FramePoints.from_result(result, segments=segments)
        for side, out in per_side.items():
            out[i] = reader.read(frame, side).count_value
    if seen == 0:
        raise DemonstrationError("nobody was in view in any frame of the demonstration")
    rising = turn > start
    return DemoSignal(times, _combine(per_side, TemplateSide(template.side), rising), per_side,
                      rising)


def _combine(per_side: dict[Side, np.ndarray], side: TemplateSide, rising: bool) -> np.ndarray:
    left, right = per_side[Side.LEFT], per_side[Side.RIGHT]
    if side is TemplateSide.LEFT:
        return left.copy()
    if side is TemplateSide.RIGHT:
        return right.copy()
    stacked = np.vstack([left, right])
    out = np.full(left.shape, np.nan)
    seen = np.isfinite(stacked).any(axis=0)
    part = stacked[:, seen]
    if side is TemplateSide.BOTH:
        out[seen] = np.nanmean(part, axis=0)
    else:
        out[seen] = np.nanmax(part, axis=0) if rising else np.nanmin(part, axis=0)
    return out


@dataclass(frozen=True, slots=True)
class Segmentation:
    """The smoothed signal ((T,) float64, NaN: not seen) and its clear repetitions."""

    times_ms: np.ndarray
    smoothed: np.ndarray
    reps: tuple[DemoRepetition, ...]

    def time_beyond(self, rep: DemoRepetition, level: float, rising: bool) -> int:
        """Milliseconds ``rep`` spends beyond ``level`` (outward of it), as a counter whose
        start is ``level`` would time the repetition."""
        t, y = self.times_ms, self.smoothed
        inside = (t >= rep.start_ms) & (t <= rep.end_ms)
        beyond = inside & ((y > level) if rising else (y < level))
        idx = np.flatnonzero(beyond)
        return int(t[idx[-1]] - t[idx[0]]) if idx.size else 0


def clear_repetitions(signal: DemoSignal, noise_floor: float) -> Segmentation:
    """Every clear repetition of ``signal`` in time order (see the module doc).

    ``noise_floor``: the smallest excursion that can be a repetition (the template's
    hysteresis), in the signal's unit.
    """
    t = signal.times_ms
    y = _smoothed(t, signal.values)
    if y is None:
        return Segmentation(t, np.full(t.shape, np.nan), ())
    sign = 1.0 if signal.rising else -1.0
    oriented = sign * y
    finite = np.isfinite(oriented)
    lo, hi = np.percentile(oriented[finite], [5.0, 95.0])
    prominence = max(PROMINENCE_SHARE * float(hi - lo), noise_floor)
    filled = np.where(finite, oriented, float(lo))
    peaks, _ = find_peaks(filled, prominence=prominence)
    bounds = np.concatenate([[0], peaks, [len(y) - 1]])
    steady = max(2, int(round(REST_MIN_MS / float(np.median(np.diff(t))))))
    reps = []
    for k, p in enumerate(peaks):
        before = _lowest(filled, finite, int(bounds[k]), int(p), int(p), steady)
        after = _lowest(filled, finite, int(p), int(bounds[k + 2]), int(p), steady)
        if before is None or after is None:
            continue
        excursion = filled[p] - max(filled[before], filled[after])
        rest_gap = abs(filled[before] - filled[after])
        if excursion < prominence or rest_gap > REST_TOLERANCE * (filled[p] - min(
                filled[before], filled[after])):
            continue
        reps.append(DemoRepetition(int(t[before]), int(t[p]), int(t[after]), float(y[before]),
                                   float(y[p]), float(y[after]),
                                   _hold_ms(t, filled, before, int(p), after)))
    return Segmentation(t, y, tuple(reps))


def _smoothed(times_ms: np.ndarray, values: np.ndarray) -> np.ndarray | None:
    finite = np.isfinite(values)
    if finite.sum() < 16:
        return None
    fs = 1000.0 / float(np.median(np.diff(times_ms)))
    max_gap = max(1, int(round(0.5 * fs)))
    x = fill_short_gaps(values.astype(np.float64), max_gap)
    y: np.ndarray = smooth_for_summary(x, fs, cutoff_hz=min(SEGMENT_CUTOFF_HZ, 0.4 * fs))
    return y


def _lowest(y: np.ndarray, finite: np.ndarray, i0: int, i1: int, peak: int,
            min_samples: int) -> int | None:
    """Index of the lowest seen sample in ``[i0, i1]``; None when the span is not seen or the
    rest there is unknown: the lowest point lies at the recording's edge without a steady
    stretch (``min_samples`` within :data:`REST_BAND` of the excursion) leading to it (a
    movement under way when the recording started, or cut by its end)."""
    span = np.arange(i0, i1 + 1)
    seen = span[finite[span]]
    if seen.size == 0:
        return None
    i = int(seen[np.argmin(y[seen])])
    if i not in (0, len(y) - 1):
        return i
    band = y[i] + REST_BAND * (y[peak] - y[i])
    steady = 0
    for j in (span if i == 0 else span[::-1]):
        if not (finite[j] and y[j] <= band):
            break
        steady += 1
    return i if steady >= min_samples else None


def _hold_ms(t: np.ndarray, y: np.ndarray, i0: int, ip: int, i1: int) -> int:
    tol = 0.05 * (y[ip] - min(y[i0], y[i1]))
    near = np.flatnonzero(y[i0:i1 + 1] >= y[ip] - tol) + i0
    return int(t[near[-1]] - t[near[0]]) if near.size else 0


def describe(rep: DemoRepetition, unit: str) -> str:
    """One line for a report: times and values of a repetition."""
    fmt = (lambda v: f"{v:.0f} {unit}") if unit == "deg" else (lambda v: f"{v:.3f}")
    hold = f", hold {rep.hold_ms / 1000:.1f} s" if rep.hold_ms >= 500 else ""
    return (f"{rep.start_ms / 1000:.1f}-{rep.end_ms / 1000:.1f} s: rest {fmt(rep.rest_before)}"
            f" -> {fmt(rep.peak)} -> {fmt(rep.rest_after)}{hold}")

