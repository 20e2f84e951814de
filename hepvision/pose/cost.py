"""What pose costs the machine: CPU time per stage, cores, resident memory.

Wall time says whether a pipeline keeps up; CPU time says what it costs (heat, battery, the
browser beside it), and other processes sharing the cores inflate it much less. Three levels:

- :func:`thread_cpu_ms`: CPU time of the calling thread. A backend times its stages with it
  (:class:`PoseCost`); ONNX Runtime with one intra-op thread runs inference on the calling
  thread, so the landmark stage is then complete. With more threads the workers' time is not
  in the stage, only in the process total (:class:`CostMeter` reports it as ``other``).
- :func:`process_cpu_s`: CPU time of the whole process (every thread).
- :func:`resident_mb`: resident memory now, from ``/proc/self/statm`` (Linux); the peak from
  ``getrusage`` (POSIX). NaN where the platform has neither.

:class:`CostMeter` collects them over a run and summarises them as :class:`CpuTimings`, the
record a session keeps.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from hepvision.capture.frames import DecodeClock, thread_cpu_ms

__all__ = ["STAGES", "CostMeter", "CpuTimings", "DecodeClock", "PoseCost", "StageTimed",
           "peak_resident_mb", "process_cpu_s", "resident_mb", "thread_cpu_ms"]

#: Stages of one frame, in pipeline order (names of :attr:`CpuTimings.stage_ms`).
STAGES = ("decode", "crop", "detector", "landmarks", "post", "after_pose")
#: RSS is sampled every this many frames, and the baseline taken after the warm-up.
RSS_EVERY_FRAMES = 30
WARMUP_FRAMES = 150


def process_cpu_s() -> float:
    """CPU time of the whole process (all threads), seconds."""
    return time.process_time()


def resident_mb() -> float:
    """Resident set size now, MiB (NaN where ``/proc/self/statm`` is absent)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            pages = int(fh.read().split()[1])
    except OSError:
        return math.nan
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_resident_mb() -> float:
    """Peak resident set size of the process so far, MiB (NaN where unknown)."""
    if sys.platform == "win32":
        return math.nan
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


@dataclass(frozen=True, slots=True)
class PoseCost:
    """CPU milliseconds of the calling thread spent on one frame's pose, by stage.

    Attributes:
        crop_ms: cropping (and resizing) the model inputs from the frame, colour order and
            scaling included.
        detector_ms: the person detector (inference and decoding); 0 on a tracked frame.
        landmarks_ms: the landmark model's inference.
        post_ms: everything after it: heatmap refinement, projection, smoothing, next ROI.
    """

    crop_ms: float = 0.0
    detector_ms: float = 0.0
    landmarks_ms: float = 0.0
    post_ms: float = 0.0


@runtime_checkable
class StageTimed(Protocol):
    """A pose backend that times its own stages (the ``onnx`` backend)."""

    @property
    def last_cost(self) -> PoseCost:
        """The stage CPU times of the last ``estimate`` call."""
        ...


@dataclass(frozen=True, slots=True)
class CpuTimings:
    """CPU and memory of a run, the figures a session record keeps.

    Attributes:
        frames: frames the figures cover.
        wall_s, cpu_s: wall time and process CPU time (all threads) over those frames.
        cpu_ms_per_frame: ``cpu_s`` per frame, milliseconds.
        cores: ``cpu_s / wall_s``: the cores the run kept busy (at its source's rate for a
            live run; an offline run goes as fast as it can).
        stage_ms: mean CPU milliseconds per frame of each stage in :data:`STAGES` that was
            measured (``decode`` on the capture thread, the rest on the processing thread),
            plus ``other``: the process total minus those (ONNX Runtime's worker threads
            beyond the first, the interpreter, the grabber's bookkeeping, the window).
        rss_mb_start: resident memory after the warm-up (:data:`WARMUP_FRAMES` frames, or the
            first sample of a shorter run); rss_mb_end: at the end; rss_mb_peak: the largest
            sample, or the process's peak (``getrusage``) when larger; MiB.
        rss_growth_pct: ``rss_mb_end`` over ``rss_mb_start``, percent.
    """

    frames: int
    wall_s: float
    cpu_s: float
    cpu_ms_per_frame: float
    cores: float
    stage_ms: dict[str, float]
    rss_mb_start: float
    rss_mb_end: float
    rss_mb_peak: float
    rss_growth_pct: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready figures, rounded (NaN as None)."""
        def r(value: float, digits: int = 3) -> float | None:
            return round(value, digits) if math.isfinite(value) else None

        return {"frames": self.frames, "wall_s": r(self.wall_s), "cpu_s": r(self.cpu_s),
                "cpu_ms_per_frame": r(self.cpu_ms_per_frame), "cores": r(self.cores),
                "stage_ms": {k: r(v) for k, v in self.stage_ms.items()},
                "rss_mb_start": r(self.rss_mb_start, 1), "rss_mb_end": r(self.rss_mb_end, 1),
                "rss_mb_peak": r(self.rss_mb_peak, 1),
                "rss_growth_pct": r(self.rss_growth_pct, 2)}


@dataclass(slots=True)
class CostMeter:
    """Collects stage CPU, process CPU and RSS over a run (one :meth:`frame` per frame).

    The span starts after the first ``warmup_frames`` frames (model warm-up, the first
    detection); ``decode`` comes from a :class:`DecodeClock` when one is attached (its frames
    may exceed the processed ones: a live grabber drops some, and their decoding is a cost of
    the run too).
    """

    decode: DecodeClock | None = None
    warmup_frames: int = 1
    frames: int = 0
    stage_totals_ms: dict[str, float] = field(default_factory=dict)
    rss_samples_mb: list[float] = field(default_factory=list)
    rss_start_mb: float = math.nan
    _start_cpu_s: float = 0.0
    _start_wall_s: float = 0.0
    _start_decode_ms: float = 0.0
    _last_cpu_s: float = 0.0
    _last_wall_s: float = 0.0

    def frame(self, cost: PoseCost | None, after_pose_ms: float) -> None:
        """Account one processed frame: its pose stages (None: not split) and what followed."""
        now_cpu, now_wall = process_cpu_s(), time.monotonic()
        if self.frames < self.warmup_frames:
            self._start_cpu_s, self._start_wall_s = now_cpu, now_wall
            self._start_decode_ms = self.decode.cpu_ms if self.decode is not None else 0.0
        else:
            if cost is not None:
                self._add("crop", cost.crop_ms)
                self._add("detector", cost.detector_ms)
                self._add("landmarks", cost.landmarks_ms)
                self._add("post", cost.post_ms)
            self._add("after_pose", after_pose_ms)
        self._last_cpu_s, self._last_wall_s = now_cpu, now_wall
        if self.frames % RSS_EVERY_FRAMES == 0:
            rss = resident_mb()
            self.rss_samples_mb.append(rss)
            if self.frames <= WARMUP_FRAMES:
                self.rss_start_mb = rss
        self.frames += 1

    def _add(self, stage: str, ms: float) -> None:
        self.stage_totals_ms[stage] = self.stage_totals_ms.get(stage, 0.0) + ms

    def summary(self) -> CpuTimings | None:
        """The run's figures (None until a frame past the warm-up: no span to measure).

        The warm-up frames only open the span (their cost is left out), so the figures cover
        ``frames - warmup_frames`` frames.
        """
        n = self.frames - max(1, self.warmup_frames)
        if n < 1:
            return None
        wall = self._last_wall_s - self._start_wall_s
        cpu = self._last_cpu_s - self._start_cpu_s
        stages = {k: v / n for k, v in self.stage_totals_ms.items()}
        if self.decode is not None and self.decode.frames:
            stages = {"decode": (self.decode.cpu_ms - self._start_decode_ms) / n, **stages}
        stages["other"] = max(0.0, cpu * 1000.0 / n - sum(stages.values()))
        end = resident_mb()
        finite = [s for s in self.rss_samples_mb if math.isfinite(s)]
        peak = max([*finite, end, peak_resident_mb()], default=math.nan)
        growth = (100.0 * (end - self.rss_start_mb) / self.rss_start_mb
                  if self.rss_start_mb > 0 else math.nan)
        return CpuTimings(frames=n, wall_s=wall, cpu_s=cpu, cpu_ms_per_frame=cpu * 1000.0 / n,
                          cores=cpu / wall if wall > 0 else math.nan, stage_ms=stages,
                          rss_mb_start=self.rss_start_mb, rss_mb_end=end, rss_mb_peak=peak,
                          rss_growth_pct=growth)
