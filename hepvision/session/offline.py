"""The offline run behind ``hepvision track`` and ``hepvision bench speed``.

Frames are decoded on a reader thread (:func:`~hepvision.capture.prefetch.prefetched`) while
the pose backend works on the previous one; each frame's pose result then goes through the
exercise analyzer, the same per-frame path a live session uses.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from hepvision.capture.prefetch import TimedFrame, prefetched
from hepvision.pose.base import PoseEstimator
from hepvision.pose.cost import CostMeter, CpuTimings, DecodeClock, StageTimed, thread_cpu_ms
from hepvision.pose.types import PoseResult


@dataclass(frozen=True, slots=True)
class StageTimings:
    """Per-frame wall time of each stage, milliseconds, float64 arrays of shape (N,).

    ``decode_ms`` is measured on the reader thread (it overlaps pose); ``wall_s`` is the
    elapsed time of the whole run, so ``frames / wall_s`` is the pipeline's throughput.
    """

    decode_ms: np.ndarray
    pose_ms: np.ndarray
    after_pose_ms: np.ndarray
    wall_s: float

    @property
    def frames(self) -> int:
        return int(len(self.pose_ms))

    @property
    def pipeline_fps(self) -> float:
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def pose_fps(self) -> float:
        """Frames per second the pose stage alone sustains: frames / total pose time.

        Comparable with :attr:`pipeline_fps` (frames / wall time): their ratio is the share of
        the run's wall time spent in pose, i.e. how little the other stages add.
        """
        total_s = float(np.sum(self.pose_ms)) / 1000.0
        return self.frames / total_s if total_s > 0 else 0.0

    def summary(self) -> dict[str, dict[str, float]]:
        """Median and p95 of each stage, ms."""
        out = {}
        for name in ("decode_ms", "pose_ms", "after_pose_ms"):
            values = getattr(self, name)
            out[name.removesuffix("_ms")] = {
                "median_ms": round(float(np.median(values)), 3) if len(values) else 0.0,
                "p95_ms": round(float(np.percentile(values, 95)), 3) if len(values) else 0.0,
            }
        return out


@dataclass(frozen=True, slots=True)
class PoseRun:
    """Pose results of a whole run with their stage timings (wall) and CPU figures (None
    for a replay, or under two frames)."""

    results: tuple[PoseResult, ...]
    timings: StageTimings
    cpu: CpuTimings | None = None


def run_frames(
    frames: Iterable[TimedFrame],
    estimator: PoseEstimator,
    after_pose: Callable[[PoseResult], object] | None = None,
    on_frame: Callable[[int], None] | None = None,
    cpu_warmup: int = 1,
) -> PoseRun:
    """Estimate the pose in every frame and feed each result to ``after_pose``; the CPU
    figures leave out the first ``cpu_warmup`` frames."""
    results: list[PoseResult] = []
    decode, pose, after = [], [], []
    decoded = DecodeClock()
    meter = CostMeter(decode=decoded, warmup_frames=cpu_warmup)
    staged = estimator if isinstance(estimator, StageTimed) else None
    start = time.perf_counter()
    for item in frames:
        decoded.add(item.decode_cpu_ms)
        t0 = time.perf_counter()
        result = estimator.estimate(item.frame)
        t1, c1 = time.perf_counter(), thread_cpu_ms()
        if after_pose is not None:
            after_pose(result)
        t2 = time.perf_counter()
        meter.frame(staged.last_cost if staged is not None else None, thread_cpu_ms() - c1)
        results.append(result)
        decode.append(item.decode_ms)
        pose.append((t1 - t0) * 1000.0)
        after.append((t2 - t1) * 1000.0)
        if on_frame is not None:
            on_frame(len(results))
    wall = time.perf_counter() - start
    timings = StageTimings(np.asarray(decode), np.asarray(pose), np.asarray(after), wall)
    return PoseRun(tuple(results), timings, meter.summary())


def run_results(
    results: Iterable[PoseResult],
    after_pose: Callable[[PoseResult], object] | None = None,
    on_frame: Callable[[int], None] | None = None,
) -> PoseRun:
    """Feed already-estimated results (a replayed recording) to ``after_pose``."""
    kept: list[PoseResult] = []
    after = []
    start = time.perf_counter()
    for result in results:
        t0 = time.perf_counter()
        if after_pose is not None:
            after_pose(result)
        after.append((time.perf_counter() - t0) * 1000.0)
        kept.append(result)
        if on_frame is not None:
            on_frame(len(kept))
    wall = time.perf_counter() - start
    zeros = np.zeros(len(kept))
    return PoseRun(tuple(kept), StageTimings(zeros, zeros.copy(), np.asarray(after), wall))


def video_frames(source: Iterable, *, threaded: bool = True) -> Iterator[TimedFrame]:
    """Timed frames of a source, decoded ahead on a thread unless ``threaded`` is False."""
    if threaded:
        return prefetched(source)
    from hepvision.capture.prefetch import timed_frames

    return timed_frames(source)
