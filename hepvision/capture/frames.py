"""The frame record passed from capture to pose."""

from __future__ import annotations

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
