"""Records of ``bench reps``: a labelled clip, a prediction, their score, the count metrics.

MAE = mean(|pred - true| / true) over clips with ``true > 0``, OBO = share of clips with
|pred - true| <= 1 (the definitions used by RepCount-A, TransRAC and PoseRAC). A clip that
could not be scored (an error row) counts as predicted 0 with every labelled event missed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hepvision.evaluation.rep_events import (
    EventLabels,
    EventScore,
    EventTotals,
    LabelEvent,
    match_events,
)

#: Short status codes of a row (the table's ``status`` column).
STATUS_OK = "ok"
STATUS_UNKNOWN_TEMPLATE = "unknown template"
STATUS_MISSING_CLIP = "missing clip"
STATUS_POSE_FAILED = "pose failed"
STATUS_CANNOT_SCORE = "cannot score"


@dataclass(frozen=True, slots=True)
class LabelRow:
    """One clip to score.

    Attributes:
        file: the clip's file name (relative to the videos folder).
        template: template id, or None (template-free counter unless a default is given).
        true_reps: the hand count.
        events: the labelled turning points, or why the clip has none.
        kind: the exercise class the per-class table groups by (RepCount-A's ``type``, else
            the template id; None: unclassed).
    """

    file: str
    template: str | None
    true_reps: int
    events: EventLabels = EventLabels((), problem="no rep_event_times_s column")
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class ClipPrediction:
    """What the counter found in one clip.

    Attributes:
        reps: repetitions counted (0 for an error row).
        peaks_ms: each counted repetition's turning point, ms from the first frame.
        method: ``template`` or ``template-free``.
        template: the template id used, or None.
        status: :data:`STATUS_OK` or one of the error codes above.
        error: the full reason for an error row (None when scored).
    """

    reps: int
    peaks_ms: tuple[int, ...]
    method: str
    template: str | None
    status: str = STATUS_OK
    error: str | None = None

    @classmethod
    def failed(cls, method: str, template: str | None, status: str,
               error: str) -> ClipPrediction:
        return cls(0, (), method, template, status, error)


@dataclass(frozen=True, slots=True)
class ClipScore:
    """A row, its prediction and (when the row has event labels) the event matching."""

    row: LabelRow
    prediction: ClipPrediction
    events: EventScore | None

    @property
    def exact(self) -> bool:
        return self.prediction.reps == self.row.true_reps

    @property
    def event_totals(self) -> EventTotals:
        return EventTotals.of(self.events) if self.events is not None else EventTotals()


def score_clip(row: LabelRow, prediction: ClipPrediction) -> ClipScore:
    """Match the prediction's turning points with the row's labels (when it has usable ones)."""
    if row.events.problem is not None:
        return ClipScore(row, prediction, None)
    peaks_s = [ms / 1000.0 for ms in prediction.peaks_ms]
    return ClipScore(row, prediction, match_events(row.events.events, peaks_s))


def rep_metrics(true_reps: Sequence[int], predicted: Sequence[int]) -> dict[str, Any]:
    """MAE (relative), OBO and exact matches; clips with a true count of 0 are left out of MAE."""
    n = len(true_reps)
    rel = [abs(p - t) / t for t, p in zip(true_reps, predicted, strict=True) if t > 0]
    obo = sum(1 for t, p in zip(true_reps, predicted, strict=True) if abs(p - t) <= 1)
    exact = sum(1 for t, p in zip(true_reps, predicted, strict=True) if p == t)
    return {"n": n, "mae": round(sum(rel) / len(rel), 4) if rel else 0.0,
            "obo": round(obo / n, 4) if n else 0.0, "exact": exact}


def total_events(scores: Sequence[ClipScore]) -> EventTotals:
    """Micro-averaged event counts over the clips that have event labels."""
    total = EventTotals()
    for s in scores:
        total = total + s.event_totals
    return total


def summary_json(scores: Sequence[ClipScore]) -> dict[str, Any]:
    """``n``, ``mae``, ``obo``, ``exact`` and ``events`` over ``scores``."""
    return {**rep_metrics([s.row.true_reps for s in scores],
                          [s.prediction.reps for s in scores]),
            "events": totals_json(total_events(scores),
                                  sum(1 for s in scores if s.events is not None))}


def totals_json(t: EventTotals, clips: int) -> dict[str, Any]:
    return {"clips": clips, "tp": t.tp, "fp": t.fp, "fn": t.fn,
            "precision": round(t.precision, 4), "recall": round(t.recall, 4),
            "f1": round(t.f1, 4)}


def clip_json(s: ClipScore) -> dict[str, Any]:
    """One row of the JSON ``clips`` list."""
    p, row = s.prediction, s.row
    events: dict[str, Any]
    if s.events is None:
        events = {"scored": False, "reason": row.events.problem}
    else:
        e = s.events
        events = {"scored": True, **totals_json(EventTotals.of(e), 1),
                  "tolerance_s": round(e.tolerance_s, 3),
                  "matches": [{"label_s": _label_json(m.label),
                               "predicted_s": round(m.predicted_s, 3),
                               "error_s": round(m.error_s, 3)} for m in e.matches],
                  "missed_s": [_label_json(x) for x in e.missed],
                  "extra_s": [round(x, 3) for x in e.extra_s]}
        del events["clips"]
    events["dropped_s"] = [_label_json(x) for x in row.events.dropped]
    return {"file": row.file, "template": p.template, "method": p.method,
            "true_reps": row.true_reps, "predicted_reps": p.reps, "status": p.status,
            "error": p.error, "peaks_s": [ms / 1000.0 for ms in p.peaks_ms],
            "events": events}


def _label_json(e: LabelEvent) -> float | list[float]:
    """A labelled event as seconds, or ``[start, end]`` for an interval."""
    if e.start_s == e.end_s:
        return round(e.start_s, 3)
    return [round(e.start_s, 3), round(e.end_s, 3)]
