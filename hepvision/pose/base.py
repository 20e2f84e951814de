"""The ``PoseEstimator`` protocol every pose backend implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from hepvision.capture.frames import Frame
from hepvision.pose.types import BackendInfo, PoseResult


@runtime_checkable
class PoseEstimator(Protocol):
    """Turns frames into pose results, one person per frame.

    Backends run in video mode: frames must arrive in order with strictly increasing
    ``timestamp_ms`` (a backend may track the person from the previous frame). A backend is a
    context manager; ``close()`` releases its model sessions.
    """

    @property
    def info(self) -> BackendInfo: ...

    def estimate(self, frame: Frame) -> PoseResult:
        """The pose in ``frame``; ``PoseResult.empty`` when nobody is in view."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> PoseEstimator: ...

    def __exit__(self, *exc: object) -> None: ...


def check_frame(frame: Frame, last_timestamp_ms: int | None) -> int:
    """Check a frame against the video-mode contract; returns its timestamp in ms.

    Raises:
        ValueError: the image is not (H, W, 3) uint8, or the timestamp does not increase.
    """
    if frame.i420 is None:  # I420 planes were checked when the frame was made
        image = frame.image
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(
                f"expected an (H, W, 3) uint8 BGR image, got {image.shape} {image.dtype}")
    ts = int(frame.timestamp_ms)
    if last_timestamp_ms is not None and ts <= last_timestamp_ms:
        raise ValueError(f"timestamps must increase: got {ts} ms after {last_timestamp_ms} ms")
    return ts
