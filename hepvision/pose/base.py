"""The ``PoseEstimator`` protocol every pose backend implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

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
