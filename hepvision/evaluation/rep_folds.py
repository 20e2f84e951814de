"""K-fold fitting of the counting constants: ``hepvision bench reps --folds K``.

Split (deterministic; depends only on the clips' file names and K, never on row order or
results): the distinct file names are sorted by the SHA-256 hex digest of their UTF-8 bytes
(ties by name) and dealt round-robin, the i-th (from 0) to fold ``i mod K + 1``. Every row of
a clip goes to its clip's fold.

Fit: for fold k every candidate :class:`~hepvision.analysis.CountingConstants` (the Cartesian
product of :data:`~hepvision.analysis.FIT_GRID`'s values, keys in grid order, other fields at
their defaults; the defaults alone when the grid is empty) is scored on the OTHER folds' rows
only. The winner has the most exact counts, then the highest micro-averaged event F1, then the
least distance to the defaults (the sum over fields of |value - default| / the field's span
among the candidates and the default), then comes first in grid order. Fold k is then scored
with the winner; the pooled figures are those of all held-out rows together.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hepvision.analysis import DEFAULT_CONSTANTS, FIT_GRID, CountingConstants
from hepvision.errors import HepvisionError
from hepvision.evaluation.rep_scoring import (
    ClipPrediction,
    ClipScore,
    LabelRow,
    score_clip,
    summary_json,
    total_events,
)

#: Counts one row with the given constants (``bench reps`` passes a cached one).
Predictor = Callable[[LabelRow, CountingConstants], ClipPrediction]


@dataclass(frozen=True, slots=True)
class FoldResult:
    """One fold: its clips, the constants fitted on the other folds, its held-out scores."""

    index: int
    files: tuple[str, ...]
    constants: CountingConstants
    scores: tuple[ClipScore, ...]


def assign_folds(files: Sequence[str], k: int) -> dict[str, int]:
    """Fold number (1..k) of each distinct file name (see the module docstring)."""
    names = sorted(set(files), key=lambda f: (hashlib.sha256(f.encode("utf-8")).hexdigest(), f))
    if k < 2:
        raise HepvisionError(f"--folds needs at least 2 folds, got {k}")
    if k > len(names):
        raise HepvisionError(f"--folds {k} is more than the {len(names)} distinct clips")
    return {name: i % k + 1 for i, name in enumerate(names)}


def grid_candidates(grid: Mapping[str, Sequence[float]],
                    defaults: CountingConstants = DEFAULT_CONSTANTS) -> list[CountingConstants]:
    """Every combination of the grid's values (grid order), other fields at their defaults."""
    fields = {f.name for f in dataclasses.fields(CountingConstants)}
    unknown = sorted(set(grid) - fields)
    if unknown:
        raise ValueError(f"FIT_GRID names {unknown}, not fields of CountingConstants")
    if not grid:
        return [defaults]
    keys = list(grid)
    return [dataclasses.replace(defaults, **dict(zip(keys, values, strict=True)))
            for values in itertools.product(*(grid[k] for k in keys))]


def distance_to_defaults(candidates: Sequence[CountingConstants],
                         defaults: CountingConstants) -> list[float]:
    """Each candidate's sum over fields of |value - default| / span (span 1 when flat)."""
    out = [0.0] * len(candidates)
    for f in dataclasses.fields(CountingConstants):
        values = [float(getattr(c, f.name)) for c in candidates]
        default = float(getattr(defaults, f.name))
        span = max(values + [default]) - min(values + [default]) or 1.0
        for i, v in enumerate(values):
            out[i] += abs(v - default) / span
    return out


def choose_constants(train: Sequence[LabelRow], predict: Predictor,
                     candidates: Sequence[CountingConstants],
                     defaults: CountingConstants = DEFAULT_CONSTANTS) -> CountingConstants:
    """The candidate with the most exact counts on ``train``, then event F1, then closeness."""
    if not candidates:
        raise ValueError("no candidate constants")
    distance = distance_to_defaults(candidates, defaults)

    def merit(i: int) -> tuple[int, float, float, int]:
        scores = [score_clip(row, predict(row, candidates[i])) for row in train]
        return (sum(s.exact for s in scores), total_events(scores).f1, -distance[i], -i)

    return candidates[max(range(len(candidates)), key=merit)]


def run_folds(rows: Sequence[LabelRow], k: int, predict: Predictor,
              grid: Mapping[str, Sequence[float]] | None = None,
              defaults: CountingConstants = DEFAULT_CONSTANTS) -> list[FoldResult]:
    """Fit on K-1 folds, score the held-out one, for every fold (``grid``: FIT_GRID)."""
    fold_of = assign_folds([r.file for r in rows], k)
    candidates = grid_candidates(FIT_GRID if grid is None else grid, defaults)
    out = []
    for index in range(1, k + 1):
        train = [r for r in rows if fold_of[r.file] != index]
        test = [r for r in rows if fold_of[r.file] == index]
        fitted = choose_constants(train, predict, candidates, defaults)
        out.append(FoldResult(index, tuple(r.file for r in test), fitted,
                              tuple(score_clip(r, predict(r, fitted)) for r in test)))
    return out


def folds_json(folds: Sequence[FoldResult], grid: Mapping[str, Sequence[float]]) -> dict[str, Any]:
    """The ``folds`` section of ``--out``: the method, each fold and the pooled held-out."""
    pooled = [s for f in folds for s in f.scores]
    return {"k": len(folds),
            "split": "distinct file names sorted by SHA-256 of the name, dealt round-robin",
            "grid": {key: list(values) for key, values in grid.items()},
            "folds": [{"fold": f.index, "clips": list(f.files),
                       "constants": dataclasses.asdict(f.constants), **summary_json(f.scores)}
                      for f in folds],
            "pooled": summary_json(pooled)}
