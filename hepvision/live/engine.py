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

from hepvision.analysis import ExerciseAnalyzer, FrameFeedback
from hepvision.capture.frames import Frame
from hepvision.capture.live import LatestFrameGrabber
from hepvision.pose.base import PoseEstimator
from hepvision.pose.types import PoseResult


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

    def to_dict(self) -> dict[str, float | int]:
        return {
            "processed_frames": self.processed,
            "processed_fps": round(self.processed_fps, 2),
            "dropped_frames": self.dropped,
            "latency_ms_median": round(self.latency_ms(50), 2),
            "latency_ms_p95": round(self.latency_ms(95), 2),
        }


class LiveEngine:
    """Runs pose and analysis on frames as they come; one engine per exercise set.

    ``process`` handles one frame (the browser page calls it per received frame); ``run``
    drives a grabber until the source ends or ``should_stop`` says so.
    """

    def __init__(self, estimator: PoseEstimator, analyzer: ExerciseAnalyzer | None = None) -> None:
        self.estimator = estimator
        self.analyzer = analyzer
        self.stats = LiveStats()
        self._last_ts: int | None = None

    def set_analyzer(self, analyzer: ExerciseAnalyzer) -> None:
        """Start a new set (or exercise) without re-creating the pose backend."""
        self.analyzer = analyzer

    def process(self, frame: Frame, captured_s: float | None = None) -> LiveUpdate | None:
        """Pose + analysis of one frame; None for a frame older than the last processed."""
        if self.analyzer is None:
            raise RuntimeError("LiveEngine.process needs an analyzer: call set_analyzer first")
        if self._last_ts is not None and frame.timestamp_ms <= self._last_ts:
            return None
        self._last_ts = frame.timestamp_ms
        captured = time.monotonic() if captured_s is None else captured_s
        pose = self.estimator.estimate(frame)
        feedback = self.analyzer.update(pose)
        now = time.monotonic()
        latency = (now - captured) * 1000.0
        self.stats.record(latency, now)
        return LiveUpdate(frame, pose, feedback, latency)

    def run(self, grabber: LatestFrameGrabber, on_update: Callable[[LiveUpdate], None],
            should_stop: Callable[[], bool] = lambda: False) -> LiveStats:
        """Process the newest frame of ``grabber`` until it ends or ``should_stop()``."""
        while not should_stop():
            item = grabber.get(timeout=0.5)
            if item is None:
                if grabber.finished:
                    break
                continue
            update = self.process(item.frame, item.captured_s)
            self.stats.dropped = grabber.dropped
            if update is not None:
                on_update(update)
        self.stats.dropped = grabber.dropped
        return self.stats

