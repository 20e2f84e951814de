"""The frame record passed from capture to pose, and what producing frames cost."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Frame:
    """One video frame.

    Attributes:
        image: (H, W, 3) uint8, BGR channel order (OpenCV's), C-contiguous.
        timestamp_ms: presentation time in integer milliseconds from the start of the source;
            strictly increasing within one source.
        index: 0-based position of the frame in its source.
    """

    image: np.ndarray
    timestamp_ms: int
    index: int

    @property
    def width_px(self) -> int:
        return int(self.image.shape[1])

    @property
    def height_px(self) -> int:
        return int(self.image.shape[0])


def thread_cpu_ms() -> float:
    """CPU time of the calling thread, milliseconds (an arbitrary origin: take differences)."""
    return time.thread_time_ns() / 1e6


@dataclass(slots=True)
class DecodeClock:
    """CPU time a frame source spent producing its frames (mutable: counted as they come).

    Measured on the thread that reads the source (a reader or grabber thread, or the caller),
    with that thread's CPU clock: decoding, conversion and copying, not waiting.
    """

    frames: int = 0
    cpu_ms: float = 0.0

    def add(self, cpu_ms: float) -> None:
        self.frames += 1
        self.cpu_ms += cpu_ms
