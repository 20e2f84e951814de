"""Offline (whole-recording) filters for per-repetition summaries; never used per frame.

- :func:`hampel`: replaces outliers (more than ``n_sigmas`` scaled MADs from the running median)
  with that median.
- :func:`fill_short_gaps`: linear interpolation across NaN runs no longer than ``max_gap``
  samples; longer gaps stay NaN (not measurable, never invented).
- :func:`butterworth_zero_phase`: 4th-order zero-phase low-pass (a 2nd-order Butterworth run
  forward and backward, so -6 dB at the cutoff), 6 Hz by default, applied to each finite run
  long enough for the filter's padding; shorter runs are left unfiltered.

All take a 1D float array sampled at a uniform rate (resample first if timestamps jitter).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import signal


def hampel(x: np.ndarray, window: int = 7, n_sigmas: float = 3.0) -> np.ndarray:
    """``x`` with outliers replaced by the centred running median (window samples, odd)."""
    x = np.asarray(x, dtype=np.float64)
    half = window // 2
    out = x.copy()
    if x.size < window:
        return out
    padded = np.pad(x, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, window)
    if np.isnan(x).any():
        with warnings.catch_warnings():  # all-NaN windows give NaN medians: left unchanged
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(windows, axis=1)
            mad = 1.4826 * np.nanmedian(np.abs(windows - med[:, None]), axis=1)
    else:
        med = np.median(windows, axis=1)
        mad = 1.4826 * np.median(np.abs(windows - med[:, None]), axis=1)
    bad = np.abs(x - med) > n_sigmas * np.maximum(mad, 1e-9)
    out[bad & np.isfinite(x)] = med[bad & np.isfinite(x)]
    return out


def fill_short_gaps(x: np.ndarray, max_gap: int = 5) -> np.ndarray:
    """``x`` with interior NaN runs of at most ``max_gap`` samples linearly interpolated."""
    x = np.asarray(x, dtype=np.float64).copy()
    finite = np.isfinite(x)
    if finite.sum() < 2:
        return x
    idx = np.arange(x.size)
    nan_idx = np.flatnonzero(~finite)
    if nan_idx.size == 0:
        return x
    runs = np.split(nan_idx, np.flatnonzero(np.diff(nan_idx) > 1) + 1)
    fin_idx = np.flatnonzero(finite)
    for run in runs:
        if run.size > max_gap or run[0] == 0 or run[-1] == x.size - 1:
            continue
        x[run] = np.interp(idx[run], fin_idx, x[fin_idx])
    return x


def butterworth_zero_phase(x: np.ndarray, fs_hz: float, cutoff_hz: float = 6.0,
                           order: int = 4) -> np.ndarray:
    """Zero-phase low-pass of ``x`` (order = total order after the forward-backward pass)."""
    x = np.asarray(x, dtype=np.float64)
    out = x.copy()
    if cutoff_hz >= fs_hz / 2:
        return out
    sos = signal.butter(max(1, order // 2), cutoff_hz / (fs_hz / 2), output="sos")
    padlen = 3 * (2 * sos.shape[0] + 1)
    finite = np.isfinite(x)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], finite.astype(np.int8), [0]])))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        if stop - start > padlen:
            out[start:stop] = signal.sosfiltfilt(sos, x[start:stop])
    return out


#: The outlier window and the longest gap filled, in samples at camera rates (24-60 frames/s).
OUTLIER_WINDOW = 7
MAX_GAP = 5
#: The camera rate those counts were set for; at a lower rate (a phone sending 3-15 poses/s)
#: they shrink to span no more time than there.
CAMERA_FPS = 24.0


def smooth_for_summary(x: np.ndarray, fs_hz: float, cutoff_hz: float = 6.0) -> np.ndarray:
    """The offline chain: Hampel outlier rejection, short-gap fill, zero-phase Butterworth.

    At camera rates the Hampel window is :data:`OUTLIER_WINDOW` samples and gaps of up to
    :data:`MAX_GAP` samples are filled; below :data:`CAMERA_FPS` both shrink in proportion to
    the rate, so a 3-poses/s stream neither loses its one sample at a peak as an "outlier" of a
    2-second window nor gets a 2-second gap invented (5-sample windows, the fewest whose median
    and MAD a sharply sampled peak does not dominate, and 1-sample gaps there).
    """
    scale = min(1.0, fs_hz / CAMERA_FPS)
    half = max(2, math.ceil(OUTLIER_WINDOW // 2 * scale - 1e-9))
    gap = max(1, math.ceil(MAX_GAP * scale - 1e-9))
    return butterworth_zero_phase(fill_short_gaps(hampel(x, 2 * half + 1), gap), fs_hz,
                                  cutoff_hz)
