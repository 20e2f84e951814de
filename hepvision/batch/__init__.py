"""Batch runs over many clips: per clip a ``track`` report and a landmark recording, written
atomically and skipped when already done, on Dask (a local cluster, an existing scheduler, or
``dask-jobqueue`` on Slurm), with a summary table (CSV and JSON).

Python API::

    from pathlib import Path
    from hepvision.batch import ClipOptions, EngineOptions, list_clips, run_batch

    jobs = list_clips("labels.csv", exercise="squat")
    result = run_batch(jobs, Path("out"), ClipOptions(exercise="squat"),
                       EngineOptions(scheduler="local", workers=2))

    from hepvision.batch import process_clip            # one clip, no engine at all
    outcome = process_clip("clip.mp4", "out", ClipOptions(exercise="squat"))

Sits above ``session`` (it runs ``track``) and below ``cli``.
"""

from hepvision.batch.clips import ClipJob, list_clips
from hepvision.batch.engine import EngineInfo, EngineOptions, map_unordered
from hepvision.batch.outcome import ClipOutcome
from hepvision.batch.process import ClipOptions, process_clip
from hepvision.batch.run import BatchResult, run_batch

__all__ = ["BatchResult", "ClipJob", "ClipOptions", "ClipOutcome", "EngineInfo",
           "EngineOptions", "list_clips", "map_unordered", "process_clip", "run_batch"]
