"""Filling the ``bench reps`` landmark cache on Dask before the counting.

Pose is all but the whole cost of ``bench reps`` (the counting of a cached clip takes
milliseconds), so a large dataset is scored by running each clip's pose as one task on the
batch engine (:mod:`hepvision.batch.engine`: a local cluster, an existing scheduler, or Slurm
through dask-jobqueue), each task writing the clip's recording into the same cache
(:func:`~hepvision.evaluation.reps.cached_landmarks`, the same key), then counting as before.
The figures are the same as a run without an engine: the counting reads the same recordings.
A clip whose pose fails here fails again when it is counted, and becomes its error row there.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hepvision.batch.engine import EngineInfo, EngineOptions, map_unordered
from hepvision.batch.process import pose_session
from hepvision.evaluation.reps import cached_landmarks

__all__ = ["CacheTask", "cache_clip", "fill_landmark_cache"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CacheTask:
    """One clip whose landmarks to cache."""

    video: str
    backend: str
    cache_dir: str


def cache_clip(task: CacheTask) -> str | None:
    """Cache one clip's landmarks on this worker's pose session; None, or why it failed."""
    try:
        cached_landmarks(Path(task.video), task.backend, Path(task.cache_dir),
                         pose_session(task.backend))
    except Exception as exc:  # noqa: BLE001 - the batch boundary: the counting reports it
        return f"{Path(task.video).name}: {type(exc).__name__}: {exc}"
    return None


def fill_landmark_cache(videos: Sequence[Path], backend: str, cache_dir: Path,
                        engine: EngineOptions) -> int:
    """Cache every existing clip of ``videos`` on ``engine``; the number that failed."""
    tasks = [CacheTask(str(v), backend, str(cache_dir))
             for v in dict.fromkeys(videos) if v.is_file()]
    if not tasks:
        return 0

    def lost(task: CacheTask, exc: BaseException) -> str:
        return f"{Path(task.video).name}: the engine lost this task: {exc}"

    def started(info: EngineInfo) -> None:
        log.info("landmarks of %d clips on %s (%d workers, %d threads)%s", len(tasks),
                 info.scheduler, info.workers, info.threads,
                 f"; dashboard {info.dashboard}" if info.dashboard else "")

    failures = 0
    step = max(1, len(tasks) // 10)
    for done, failure in enumerate(map_unordered(cache_clip, tasks, engine, failed=lost,
                                                 started=started), start=1):
        if failure is not None:
            failures += 1
            log.warning("landmarks not cached: %s", failure)
        if done % step == 0 or done == len(tasks):
            log.info("landmarks: %d/%d clips", done, len(tasks))
    return failures
