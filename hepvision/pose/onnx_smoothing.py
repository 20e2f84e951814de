"""The landmark smoothing MediaPipe Tasks' ``PoseLandmarker`` applies in VIDEO mode, reproduced
for the ONNX backend (:mod:`hepvision.pose.onnx_backend`), quirks included.

These filters copy MediaPipe's own (its ``LowPassFilter`` and ``OneEuroFilter``) so that the
ONNX backend stays close to the ``mediapipe`` backend; the pipeline's own smoothing is in
:mod:`hepvision.filters`.
"""

from __future__ import annotations

import math

import numpy as np


class _LowPass:
    """MediaPipe's ``LowPassFilter`` over arrays (first value passes through)."""

    __slots__ = ("raw", "stored")

    def __init__(self) -> None:
        self.raw: np.ndarray | None = None
        self.stored: np.ndarray | None = None

    def apply(self, value: np.ndarray, alpha: np.ndarray | float) -> np.ndarray:
        if self.stored is None:
            result = value.astype(np.float64)
        else:
            result = alpha * value + (1.0 - alpha) * self.stored
        self.raw = value.astype(np.float64)
        self.stored = result
        return result


class _OneEuro:
    """MediaPipe's ``OneEuroFilter`` applied elementwise to an array, sharing timestamps.

    Reproduces MediaPipe's quirks: the sampling frequency starts at 30 Hz and is only updated
    from two non-zero timestamps (so a video starting at 0 ms is filtered at 30 Hz on its second
    frame); a timestamp not after the last passes the value through untouched. Checked against
    mediapipe 1.2.2 on the tfjs golden clip (frame 1 agrees to 0.2 px).
    """

    __slots__ = ("min_cutoff", "beta", "d_cutoff", "_freq_hz", "_last_us", "_x", "_dx")

    def __init__(self, min_cutoff: float, beta: float, d_cutoff: float) -> None:
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self.reset()

    def reset(self) -> None:
        self._freq_hz = 30.0
        self._last_us = 0
        self._x = _LowPass()
        self._dx = _LowPass()

    def _alpha(self, cutoff: np.ndarray | float) -> np.ndarray | float:
        te = 1.0 / self._freq_hz
        tau = 1.0 / (2.0 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / te)

    def apply(self, value: np.ndarray, t_us: int, value_scale: float) -> np.ndarray:
        initialised = self._x.raw is not None
        if initialised and self._last_us >= t_us:
            return value
        if initialised and self._last_us != 0 and t_us != 0:
            self._freq_hz = 1.0 / ((t_us - self._last_us) * 1e-6)
        self._last_us = t_us
        if not initialised:
            dvalue = np.zeros(value.shape, np.float64)
        else:
            dvalue = (value - self._x.raw) * value_scale * self._freq_hz
        edvalue = self._dx.apply(dvalue, self._alpha(self.d_cutoff))
        cutoff = self.min_cutoff + self.beta * np.abs(edvalue)
        return self._x.apply(value, self._alpha(cutoff))


class PoseSmoother:
    """The landmark smoothing MediaPipe Tasks' ``PoseLandmarker`` applies in VIDEO mode.

    Visibility: low-pass, alpha 0.1. Image landmarks: One-Euro (min cutoff 0.05, beta 80,
    derivative cutoff 1) on pixel coordinates (z scaled like x), velocities scaled by the inverse
    of the next-frame ROI size. World landmarks: One-Euro (0.1, 40, 1) in metres, unscaled.
    Everything is reset on a frame without a pose.
    """

    def __init__(self) -> None:
        self._visibility = _LowPass()
        self._image = _OneEuro(min_cutoff=0.05, beta=80.0, d_cutoff=1.0)
        self._world = _OneEuro(min_cutoff=0.1, beta=40.0, d_cutoff=1.0)

    def reset(self) -> None:
        self._visibility = _LowPass()
        self._image.reset()
        self._world.reset()

    def apply(
        self,
        landmarks: np.ndarray,
        world: np.ndarray,
        t_ms: int,
        width_px: int,
        height_px: int,
        object_scale_px: float,
    ) -> None:
        """Smooth ``landmarks`` (33, 4) normalised and ``world`` (33, 3) in place."""
        t_us = int(t_ms) * 1000
        landmarks[:, 3] = self._visibility.apply(landmarks[:, 3], 0.1)
        if object_scale_px >= 1e-6:
            size = np.array([width_px, height_px, width_px], np.float64)
            px = landmarks[:, :3] * size
            landmarks[:, :3] = self._image.apply(px, t_us, 1.0 / object_scale_px) / size
        world[:] = self._world.apply(world.astype(np.float64), t_us, 1.0)
