"""Summaries of one excursion's samples: its peak and phases, and whether its turning point
was recorded."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from hepvision.reps.state_machine import CounterSettings


def summarize_excursion(times_ms: np.ndarray, values: np.ndarray, rising: bool,
                        tolerance: float) -> tuple[int, float, int, int, int]:
    """(peak_ms, peak_value, out_ms, hold_ms, back_ms) of one excursion's samples; the peak
    region holds the samples within max(``tolerance``, 5 % of the range) of the peak."""
    x = values if rising else -values
    finite = np.isfinite(x)
    if not finite.any():
        return int(times_ms[0]), math.nan, 0, 0, 0
    xf = np.where(finite, x, -np.inf)
    i_peak = int(np.argmax(xf))
    lo = np.nanmin(x)
    tol = max(tolerance, 0.05 * (xf[i_peak] - lo))
    near = np.flatnonzero(xf >= xf[i_peak] - tol)
    first, last = int(near[0]), int(near[-1])
    t0, t1 = int(times_ms[0]), int(times_ms[-1])
    return (int(times_ms[i_peak]), float(values[i_peak]), int(times_ms[first]) - t0,
            int(times_ms[last] - times_ms[first]), t1 - int(times_ms[last]))


def turning_point_seen(times_ms: Sequence[int], values: Sequence[float],
                       settings: CounterSettings) -> bool:
    """For an excursion cut by the end of the recording: is its turning point in it?

    Yes when the signal left its peak region after the peak (it turned), or when it stayed in
    the peak region for ``min_dwell_ms`` (it stopped at the top: a raise that ends held up).
    A signal still moving outward at the last sample has no turning point yet. The time in the
    region counts from halfway between the sample before it and its first sample (unless a gap
    in the measurement, an interval longer than the median, lies between them), so one pose at
    a low pose rate stands for its share of the interval, as in the state machine's dwell.
    """
    sign = 1.0 if settings.rising else -1.0
    x = [v * sign if v == v else -math.inf for v in values]
    finite = [v for v in x if v > -math.inf]
    if not finite:
        return False
    peak = max(finite)
    near = peak - max(settings.hysteresis / 2, 0.05 * (peak - min(finite)))  # as above
    if x[-1] < near:
        return True
    i = len(x) - 1
    while i > 0 and x[i - 1] >= near:
        i -= 1
    since = float(times_ms[i])
    if i > 0:
        before = times_ms[i] - times_ms[i - 1]
        if before <= float(np.median(np.diff(np.asarray(times_ms, dtype=np.int64)))):
            since -= before / 2  # not across a gap in the measurement: that is no evidence
    return times_ms[-1] - since >= settings.min_dwell_ms
