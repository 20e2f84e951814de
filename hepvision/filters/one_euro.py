"""Causal One-Euro filter (Casiez, Roussel & Vogel, CHI 2012) for live landmarks or angles.

An adaptive first-order low-pass: the cutoff rises with the signal's speed, so slow motion is
smoothed strongly and fast motion follows with little lag.

Latency: a first-order low-pass with cutoff ``fc`` delays a slow signal by about
``1 / (2 pi fc)`` seconds; :func:`one_euro_lag_frames` converts that to frames. With the defaults
(``min_cutoff_hz=1.5``) at 30 fps that is about 3 frames while the signal is still, falling
toward 1 frame during fast motion (``beta`` raises the cutoff with speed).

NaN inputs are passed through as NaN (never a stale value); after a gap longer than
``reset_after_ms`` the filter restarts from the next finite sample.
"""

from __future__ import annotations

import math

import numpy as np


def one_euro_lag_frames(cutoff_hz: float, fps: float) -> float:
    """Approximate delay, in frames, of a first-order low-pass at ``cutoff_hz`` on slow input."""
    return fps / (2.0 * math.pi * cutoff_hz)


def _alpha(cutoff_hz: float, dt_s: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt_s)


class OneEuroScalar:
    """One-Euro filter for a single scalar stream (an angle in degrees, say).

    Args:
        min_cutoff_hz: cutoff while the signal is still.
        beta: cutoff increase per unit of speed (per unit/s of the signal).
        d_cutoff_hz: cutoff of the speed estimate.
        reset_after_ms: a gap (NaN or missing frames) longer than this restarts the filter.
    """

    __slots__ = ("min_cutoff_hz", "beta", "d_cutoff_hz", "reset_after_ms", "_x", "_dx", "_t_ms")

    def __init__(self, min_cutoff_hz: float = 1.5, beta: float = 0.02,
                 d_cutoff_hz: float = 1.0, reset_after_ms: int = 500) -> None:
        self.min_cutoff_hz = min_cutoff_hz
        self.beta = beta
        self.d_cutoff_hz = d_cutoff_hz
        self.reset_after_ms = reset_after_ms
        self._x = math.nan
        self._dx = 0.0
        self._t_ms = -1

    def __call__(self, value: float, timestamp_ms: int) -> float:
        if not value == value:
            return math.nan
        if self._t_ms < 0 or timestamp_ms - self._t_ms > self.reset_after_ms \
                or not self._x == self._x:
            self._x, self._dx, self._t_ms = value, 0.0, timestamp_ms
            return value
        dt = (timestamp_ms - self._t_ms) / 1000.0
        if dt <= 0.0:
            return self._x
        dx = (value - self._x) / dt
        self._dx += _alpha(self.d_cutoff_hz, dt) * (dx - self._dx)
        cutoff = self.min_cutoff_hz + self.beta * abs(self._dx)
        self._x += _alpha(cutoff, dt) * (value - self._x)
        self._t_ms = timestamp_ms
        return self._x


class OneEuroArray:
    """One-Euro filter over an array of channels (e.g. (33, 3) landmarks), element-wise.

    NaN elements output NaN and restart their channel on the next finite sample.
    """

    def __init__(self, shape: tuple[int, ...], min_cutoff_hz: float = 1.5, beta: float = 0.02,
                 d_cutoff_hz: float = 1.0, reset_after_ms: int = 500) -> None:
        self.min_cutoff_hz = min_cutoff_hz
        self.beta = beta
        self.d_cutoff_hz = d_cutoff_hz
        self.reset_after_ms = reset_after_ms
        self._x = np.full(shape, np.nan)
        self._dx = np.zeros(shape)
        self._t_ms = -1

    def __call__(self, values: np.ndarray, timestamp_ms: int) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        if self._t_ms < 0 or timestamp_ms - self._t_ms > self.reset_after_ms:
            self._x = values.copy()
            self._dx[:] = 0.0
            self._t_ms = timestamp_ms
            return values.copy()
        dt = (timestamp_ms - self._t_ms) / 1000.0
        if dt <= 0.0:
            return self._x.copy()
        fresh = ~np.isfinite(self._x)
        dx = np.where(fresh, 0.0, (values - self._x) / dt)
        self._dx += _alpha(self.d_cutoff_hz, dt) * (dx - self._dx)
        cutoff = self.min_cutoff_hz + self.beta * np.abs(self._dx)
        tau = 1.0 / (2.0 * np.pi * cutoff)
        a = 1.0 / (1.0 + tau / dt)
        out = np.where(fresh, values, self._x + a * (values - self._x))
        self._dx = np.where(np.isfinite(values), self._dx, 0.0)
        self._x = out  # NaN where the input was NaN: that channel restarts next time
        self._t_ms = timestamp_ms
        return out.copy()
