"""Summary of one excursion's samples: its peak and the times of its phases."""

from __future__ import annotations

import math

import numpy as np


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

