"""The live engine: newest frame -> pose -> analysis -> feedback, with latency accounting.

The engine never queues: the grabber keeps only the newest frame, so when a frame takes
longer than the frame interval the frames captured meanwhile are dropped (and counted) and
latency stays bounded. Latency is measured from the moment capture delivered a frame to the
moment its feedback is ready.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from hepvision.analysis import FrameFeedback
from hepvision.capture.frames import Frame
from hepvision.pose.base import PoseEstimator
from hepvision.pose.cost import CostMeter, StageTimed, thread_cpu_ms
from hepvision.pose.types import PoseResult
from hepvision.session.record import RunTimings


@dataclass(frozen=True, slots=True)
class LiveUpdate:
    """What the screen shows for one processed frame.

    Attributes:
        frame: the processed frame.
        pose: its pose result.
        feedback: the analyzer's per-frame feedback (count, signal, state, cues).
        latency_ms: capture-to-feedback time of this frame, milliseconds.
    """

    frame: Frame
    pose: PoseResult
    feedback: FrameFeedback
    latency_ms: float


@dataclass(slots=True)
class LiveStats:
    """Running counters of a live run (mutable: updated every frame)."""

    processed: int = 0
    dropped: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    started_s: float | None = None
    last_s: float | None = None
    cpu: CostMeter = field(default_factory=CostMeter)

    def record(self, latency_ms: float, now_s: float) -> None:
        if self.started_s is None:
            self.started_s = now_s
        self.last_s = now_s
        self.processed += 1
        self.latencies_ms.append(latency_ms)

    @property
    def processed_fps(self) -> float:
        if self.started_s is None or self.last_s is None or self.processed < 2:
            return 0.0
        span = self.last_s - self.started_s
        return (self.processed - 1) / span if span > 0 else 0.0

    def latency_ms(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else 0.0

    def timings(self) -> RunTimings:
        """The run's speed figures for its session record."""
        return RunTimings(processed_frames=self.processed, processing_fps=self.processed_fps,
                          dropped_frames=self.dropped, latency_ms_median=self.latency_ms(50),
                          latency_ms_p95=self.latency_ms(95), cpu=self.cpu.summary())


class LiveEngine:
    """Runs pose on frames as they come and hands each pose to the analysis, timing both;
    one engine per session (the pose backend stays, the analysis changes with each set).

    :class:`~hepvision.live.session.LiveSession` drives it, one :meth:`process` per frame.
    """

    def __init__(self, estimator: PoseEstimator) -> None:
        self.estimator = estimator
        self.stats = LiveStats()
        self._last_ts: int | None = None
        self._staged = estimator if isinstance(estimator, StageTimed) else None

    def process(self, frame: Frame, analyse: Callable[[PoseResult], FrameFeedback],
                captured_s: float | None = None) -> LiveUpdate | None:
        """Pose of one frame, then ``analyse`` of it; None for a frame not newer than the last
        processed one (it is skipped, not an error: a camera's frames may arrive late)."""
        if self._last_ts is not None and frame.timestamp_ms <= self._last_ts:
            return None
        self._last_ts = frame.timestamp_ms
        captured = time.monotonic() if captured_s is None else captured_s
        pose = self.estimator.estimate(frame)
        cpu_ms = thread_cpu_ms()
        feedback = analyse(pose)
        self.stats.cpu.frame(self._staged.last_cost if self._staged is not None else None,
                             thread_cpu_ms() - cpu_ms)
        now = time.monotonic()
        latency = (now - captured) * 1000.0
        self.stats.record(latency, now)
        return LiveUpdate(frame, pose, feedback, latency)
