"""A batch run: every clip through :func:`~hepvision.batch.process.process_clip` on an engine,
then the summary table (``summary.csv`` and ``summary.json``) in the output folder."""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hepvision import __version__
from hepvision.batch.clips import ClipJob
from hepvision.batch.engine import EngineInfo, EngineOptions, map_unordered
from hepvision.batch.outcome import STATUS_OK, ClipOutcome
from hepvision.batch.process import ClipOptions, pipeline_code_digest, process_clip
from hepvision.session.report import write_json

__all__ = ["BatchResult", "ClipTask", "SUMMARY_SCHEMA", "run_batch", "run_task"]

log = logging.getLogger(__name__)

SUMMARY_SCHEMA = "hepvision.batch-summary/1"
#: Columns of ``summary.csv`` (lists are joined with ``;``).
CSV_COLUMNS = ("name", "path", "exercise", "kind", "true_reps", "reps", "partial_reps",
               "rom_range_deg", "rom_peak_deg", "frames", "frames_with_pose", "duration_s",
               "wall_s", "frames_per_s", "status", "cached", "error", "worker")
#: Called after each clip: (outcome, clips done, clips in all).
Progress = Callable[[ClipOutcome, int, int], None]


@dataclass(frozen=True, slots=True)
class ClipTask:
    """One task of a run: a clip, where it goes, and its settings (pickled to a worker)."""

    path: str
    out_dir: str
    name: str
    options: ClipOptions


def run_task(task: ClipTask) -> ClipOutcome:
    """Run one task (module-level, so an engine can pickle it by reference)."""
    return process_clip(task.path, task.out_dir, task.options, name=task.name)


@dataclass(frozen=True, slots=True)
class BatchResult:
    """A finished run: every clip's outcome in input order, and the summary files."""

    jobs: tuple[ClipJob, ...]
    outcomes: tuple[ClipOutcome, ...]
    summary_csv: Path
    summary_json: Path
    wall_s: float

    @property
    def errors(self) -> int:
        return sum(1 for o in self.outcomes if o.status != STATUS_OK)

    @property
    def tracked(self) -> int:
        """Clips tracked by this run (not read from an earlier run's done mark)."""
        return sum(1 for o in self.outcomes if o.status == STATUS_OK and not o.cached)


def run_batch(jobs: Sequence[ClipJob], out_dir: Path, options: ClipOptions,
              engine: EngineOptions, *, progress: Progress | None = None,
              started: Callable[[EngineInfo], None] | None = None) -> BatchResult:
    """Process ``jobs`` into ``out_dir`` on ``engine``; write and return the summary.

    ``options.exercise`` is the template of clips whose job names none; a clip with neither
    is an error row. Clips already done with the same stamp are read, not tracked.
    """
    t0 = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_temporaries(out_dir)
    by_name: dict[str, ClipOutcome] = {}
    tasks = []
    for job in jobs:
        exercise = job.exercise or options.exercise
        if not exercise:
            by_name[job.name] = ClipOutcome.failed(
                job.name, str(job.path), "", "no template for this clip: its labels name "
                "none; pass --exercise ID", wall_s=0.0, worker="")
            continue
        tasks.append(ClipTask(str(job.path), str(out_dir), job.name,
                              replace(options, exercise=exercise)))

    def failed(task: ClipTask, exc: BaseException) -> ClipOutcome:
        return ClipOutcome.failed(task.name, task.path, task.options.exercise,
                                  f"the engine lost this task: {type(exc).__name__}: {exc}",
                                  wall_s=0.0, worker="")

    done = len(by_name)
    for outcome in map_unordered(run_task, tasks, engine, failed=failed, started=started):
        by_name[outcome.name] = outcome
        done += 1
        if progress is not None:
            progress(outcome, done, len(jobs))
    remove_temporaries(out_dir)
    outcomes = tuple(by_name[job.name] for job in jobs)
    wall_s = time.perf_counter() - t0
    csv_path, json_path = write_summary(out_dir, jobs, outcomes, options, engine, wall_s)
    return BatchResult(tuple(jobs), outcomes, csv_path, json_path, wall_s)


def remove_temporaries(out_dir: Path) -> int:
    """Delete temporary files a killed worker left (only while no run writes here)."""
    removed = 0
    for folder in ("reports", "landmarks", "done"):
        for tmp in (out_dir / folder).glob(".*.tmp*"):
            tmp.unlink(missing_ok=True)
            removed += 1
    if removed:
        log.info("removed %d unfinished temporary files from %s", removed, out_dir)
    return removed


def summary_rows(jobs: Sequence[ClipJob], outcomes: Sequence[ClipOutcome]
                 ) -> list[dict[str, Any]]:
    """One JSON row per clip: the outcome with the job's labels (true count, class)."""
    return [{**o.to_json(), "true_reps": j.true_reps, "kind": j.kind}
            for j, o in zip(jobs, outcomes, strict=True)]


def write_summary(out_dir: Path, jobs: Sequence[ClipJob], outcomes: Sequence[ClipOutcome],
                  options: ClipOptions, engine: EngineOptions, wall_s: float
                  ) -> tuple[Path, Path]:
    """Write ``summary.csv`` and ``summary.json`` (each atomically); their paths."""
    rows = summary_rows(jobs, outcomes)
    tracked = [o for o in outcomes if o.status == STATUS_OK and not o.cached]
    frames = sum(o.frames for o in tracked)
    totals = {"clips": len(outcomes), "ok": sum(o.status == STATUS_OK for o in outcomes),
              "cached": sum(o.cached for o in outcomes),
              "errors": sum(o.status != STATUS_OK for o in outcomes),
              "tracked": len(tracked), "frames_tracked": frames, "wall_s": round(wall_s, 3),
              "frames_per_s": round(frames / wall_s, 2) if wall_s > 0 else 0.0}
    summary = {
        "schema": SUMMARY_SCHEMA, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": {"hepvision": __version__, "code_sha256": pipeline_code_digest(),
                     "models": _distinct(o.models for o in outcomes),
                     "templates": {o.exercise: o.template_sha256 for o in outcomes
                                   if o.template_sha256}},
        "settings": {"backend": options.backend, "model": options.variant().value,
                     "max_frames": options.max_frames, "scheduler": engine.scheduler,
                     "workers": engine.workers, "threads_per_worker": engine.threads_per_worker},
        "totals": totals, "clips": rows,
    }
    json_path = write_json(out_dir / "summary.json", summary)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=CSV_COLUMNS, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row[k]) for k in CSV_COLUMNS})
    csv_path = out_dir / "summary.csv"
    tmp = out_dir / ".summary.csv.tmp"
    tmp.write_text(text.getvalue(), encoding="utf-8")
    tmp.replace(csv_path)
    return csv_path, json_path


def _distinct(models: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for pairs in models:
        out.update(pairs)
    return dict(sorted(out.items()))


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join("" if v is None else f"{v:g}" for v in value)
    return "" if value is None else value
