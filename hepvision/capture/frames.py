"""The frame record passed from capture to pose, and what producing frames cost."""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np


class Frame:
    """One video frame, held as BGR pixels or as the decoder's I420 (YUV 4:2:0) planes.

    Attributes:
        image: (H, W, 3) uint8, BGR channel order (OpenCV's), C-contiguous. A frame decoded
            as I420 converts to BGR on first access only (and keeps it): the pose backends
            crop the model input straight from :attr:`i420`, so a 720p frame is never
            converted whole (0.5 ms of CPU a frame) unless something draws it.
        i420: (H * 3 / 2, W) uint8, the Y plane followed by the U and V planes (each
            (H / 2, W / 2), stored row after row), BT.601 limited range as FFmpeg decodes
            H.264/HEVC/VP9 by default; ``None`` for a frame that came as BGR.
        timestamp_ms: presentation time in integer milliseconds from the start of the source;
            strictly increasing within one source.
        index: 0-based position of the frame in its source.
    """

    __slots__ = ("_image", "i420", "timestamp_ms", "index", "width_px", "height_px")

    def __init__(self, image: np.ndarray, timestamp_ms: int, index: int) -> None:
        self._image: np.ndarray | None = image
        self.i420: np.ndarray | None = None
        self.timestamp_ms = timestamp_ms
        self.index = index
        shape = np.shape(image)
        self.height_px = int(shape[0]) if len(shape) >= 2 else 0
        self.width_px = int(shape[1]) if len(shape) >= 2 else 0

    @classmethod
    def from_i420(cls, i420: np.ndarray, timestamp_ms: int, index: int) -> Frame:
        """A frame from I420 planes ((H * 3 / 2, W) uint8, H and W even)."""
        if i420.ndim != 2 or i420.dtype != np.uint8 or i420.shape[0] % 3 or i420.shape[1] % 2:
            raise ValueError(f"expected (H * 3 / 2, W) uint8 I420 planes with H, W even, "
                             f"got {i420.shape} {i420.dtype}")
        frame = cls.__new__(cls)
        frame._image = None
        frame.i420 = i420
        frame.timestamp_ms = timestamp_ms
        frame.index = index
        frame.height_px = int(i420.shape[0]) * 2 // 3
        frame.width_px = int(i420.shape[1])
        if frame.height_px % 2:
            raise ValueError(f"I420 frame height must be even, got {frame.height_px}")
        return frame

    @property
    def image(self) -> np.ndarray:
        if self._image is None:
            assert self.i420 is not None
            self._image = cv2.cvtColor(self.i420, cv2.COLOR_YUV2BGR_I420)
        return self._image

    def retimed(self, timestamp_ms: int, index: int) -> Frame:
        """The same pixels (in the same form) at another time and position."""
        if self.i420 is not None:
            frame = Frame.from_i420(self.i420, timestamp_ms, index)
            frame._image = self._image
            return frame
        return Frame(self.image, timestamp_ms, index)

    def __repr__(self) -> str:
        form = "i420" if self.i420 is not None else "bgr"
        return (f"Frame({self.width_px}x{self.height_px} {form}, "
                f"timestamp_ms={self.timestamp_ms}, index={self.index})")


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


class Monotonic:
    """Keeps timestamps strictly increasing when a container reports repeats or jumps back."""

    def __init__(self) -> None:
        self._last: int | None = None

    def __call__(self, timestamp_ms: int) -> int:
        if self._last is not None and timestamp_ms <= self._last:
            timestamp_ms = self._last + 1
        self._last = timestamp_ms
        return timestamp_ms
