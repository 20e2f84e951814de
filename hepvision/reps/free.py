"""Template-free repetition counting for unknown exercises: the periodicity of the dominant
joint signal. Offline (whole recording); for researchers and for exercises with no template.

Method: resample every signal to a uniform grid, fill short gaps and low-pass (3 Hz zero-phase);
the dominant signal is the one with the widest robust range (5th-95th percentile); its period
is the first autocorrelation peak between 0.4 s and 10 s; repetitions are its excursions away
from the resting level (the side of the range where the signal spends most time) with a
prominence of at least half the robust range, at least 0.5 period apart.
Limits: assumes one exercise at a roughly steady tempo; a signal with no clear period gives 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import signal

from hepvision.filters.offline import butterworth_zero_phase, fill_short_gaps


@dataclass(frozen=True, slots=True)
class PeriodicCount:
    """Result of :func:`count_periodic`.

    Attributes:
        reps: number of repetitions found.
        period_ms: estimated repetition period (NaN when none was found).
        signal_name: name of the dominant signal counted.
        peak_ms: (reps,) int64 time of each repetition's extreme.
    """

    reps: int
    period_ms: float
    signal_name: str
    peak_ms: np.ndarray


def count_periodic(times_ms: np.ndarray, signals: np.ndarray, names: Sequence[str],
                   fs_hz: float = 30.0) -> PeriodicCount:
    """Count repetitions in (T, K) ``signals`` sampled at ``times_ms`` (named by ``names``)."""
    times_ms = np.asarray(times_ms, dtype=np.float64)
    if len(times_ms) < 4:
        return PeriodicCount(0, float("nan"), "", np.zeros(0, np.int64))
    signals = np.asarray(signals, dtype=np.float64).reshape(len(times_ms), -1)
    grid = np.arange(times_ms[0], times_ms[-1], 1000.0 / fs_hz)
    best, best_range, best_name = None, 0.0, ""
    for k, name in enumerate(names):
        x = signals[:, k]
        ok = np.isfinite(x)
        if ok.sum() < max(4, 0.5 * len(x)):
            continue
        u = np.interp(grid, times_ms[ok], x[ok])
        u = butterworth_zero_phase(fill_short_gaps(u), fs_hz, 3.0)
        lo, hi = np.percentile(u, [5, 95])
        if hi - lo > best_range:
            best, best_range, best_name = u, hi - lo, name
    if best is None or best_range <= 0:
        return PeriodicCount(0, float("nan"), "", np.zeros(0, np.int64))
    lo, hi = np.percentile(best, [5, 95])
    rest_high = np.median(best) > (lo + hi) / 2
    x = -best if rest_high else best
    centred = x - x.mean()
    ac = np.correlate(centred, centred, mode="full")[len(x) - 1:]
    ac = ac / ac[0] if ac[0] > 0 else ac
    lags = np.arange(len(ac)) / fs_hz
    window = (lags >= 0.4) & (lags <= 10.0)
    period_s = float("nan")
    if window.any():
        peaks, _ = signal.find_peaks(ac)
        kept = [p for p in peaks if window[p] and ac[p] > 0.2]
        if kept:
            period_s = float(lags[kept[0]])
    min_dist = max(1, int(0.5 * period_s * fs_hz) if period_s == period_s else int(0.4 * fs_hz))
    peaks, _ = signal.find_peaks(x, prominence=0.5 * best_range, distance=min_dist)
    peak_ms = np.round(grid[peaks]).astype(np.int64)
    return PeriodicCount(len(peaks), period_s * 1000.0, best_name, peak_ms)
