"""``bench rom`` over a dataset: a manifest of (trial, reference) pairs, pose on Dask.

A manifest is a CSV with columns ``trial`` and ``reference`` (other columns ignored), paths
relative to the manifest's folder. Each pair is scored exactly as ``bench rom TRIAL
--reference REF`` scores it (:func:`~hepvision.evaluation.rom.score_rom`, the same settings for
every pair); with an engine, the trials' pose first runs on Dask into the landmark cache
(:func:`~hepvision.evaluation.rep_cache.fill_landmark_cache`), so the figures are the same with
or without one. A pair that cannot be scored (a missing file, a reference without the angles,
no pose) is an error row, never the end of the run. Summary: the mean RMSE and r over the
scored pairs (each pair's own figures are the means over its angles).
"""

from __future__ import annotations

import csv
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hepvision import __version__
from hepvision.errors import HepvisionError
from hepvision.evaluation.rom import RomSettings, score_rom
from hepvision.evaluation.rom_io import ColumnMapping
from hepvision.evaluation.reps import default_cache_dir

if TYPE_CHECKING:
    from hepvision.batch.engine import EngineOptions

__all__ = ["ROM_DATASET_SCHEMA", "format_rom_dataset_table", "read_manifest",
           "score_rom_dataset"]

log = logging.getLogger(__name__)

ROM_DATASET_SCHEMA = "hepvision.rom-dataset/1"


def read_manifest(path: Path) -> list[tuple[Path, Path]]:
    """The (trial, reference) pairs of a manifest CSV, resolved against its folder."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            fields = set(reader.fieldnames or ())
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise HepvisionError(f"cannot read manifest {path}: {exc}") from exc
    if not {"trial", "reference"} <= fields:
        raise HepvisionError(f"{path}: a manifest needs columns trial,reference; found "
                             f"{', '.join(sorted(fields)) or 'none'}")
    pairs = [(path.parent / r["trial"].strip(), path.parent / r["reference"].strip())
             for r in rows]
    if not pairs:
        raise HepvisionError(f"{path} lists no trials")
    return pairs


def score_rom_dataset(manifest: Path, *, settings: RomSettings, backend: str = "onnx",
                      cache_dir: Path | None = None,
                      column_map: dict[str, ColumnMapping] | None = None,
                      engine: EngineOptions | None = None) -> dict[str, Any]:
    """Score every pair of ``manifest``; the JSON-ready result."""
    pairs = read_manifest(manifest)
    cache = cache_dir or default_cache_dir()
    if engine is not None:
        from hepvision.evaluation.rep_cache import fill_landmark_cache

        videos = [t for t, _ in pairs if t.suffix.lower() != ".npz"]
        fill_landmark_cache(videos, backend, cache, engine)
    trials: list[dict[str, Any]] = []
    for trial, reference in pairs:
        try:
            result = score_rom(trial, reference, settings=settings, backend=backend,
                               cache_dir=cache, column_map=column_map)
        except HepvisionError as exc:
            log.warning("error row: %s", exc)
            trials.append({"trial": str(trial), "reference": str(reference),
                           "status": "error", "error": str(exc), "rmse_deg": None, "r": None,
                           "lag_s": None, "result": None})
            continue
        trials.append({"trial": str(trial), "reference": str(reference), "status": "ok",
                       "error": None, "rmse_deg": result["rmse_deg"], "r": result["r"],
                       "lag_s": result["lag_s"], "result": result})
    scored = [t for t in trials if t["status"] == "ok"]
    return {"schema": ROM_DATASET_SCHEMA, "manifest": str(manifest), "backend": backend,
            "n": len(trials), "scored": len(scored),
            "rmse_deg": _mean([t["rmse_deg"] for t in scored]),
            "r": _mean([t["r"] for t in scored]), "trials": trials,
            "versions": {"hepvision": __version__}}


def _mean(values: list[float | None]) -> float | None:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return round(sum(finite) / len(finite), 4) if finite else None


def format_rom_dataset_table(result: dict[str, Any]) -> str:
    """A row per pair, then ``RMSE=<x> r=<y> trials=<k>/<n>``."""
    names = [Path(t["trial"]).name for t in result["trials"]]
    width = max(len("trial"), *(len(n) for n in names))
    lines = [f"{'trial':<{width}}{'RMSE':>8}{'r':>8}{'lag_s':>8}  status"]
    for name, t in zip(names, result["trials"], strict=True):
        if t["status"] == "ok":
            lines.append(f"{name:<{width}}{_cell(t['rmse_deg'], '.2f'):>8}"
                         f"{_cell(t['r'], '.3f'):>8}{t['lag_s']:>8.2f}  ok")
        else:
            lines.append(f"{name:<{width}}{'-':>8}{'-':>8}{'-':>8}  error: {t['error']}")
    lines.append(f"RMSE={_cell(result['rmse_deg'], '.3f')} r={_cell(result['r'], '.3f')} "
                 f"trials={result['scored']}/{result['n']}")
    return "\n".join(lines)


def _cell(value: float | None, fmt: str) -> str:
    return "-" if value is None or not math.isfinite(value) else format(value, fmt)
