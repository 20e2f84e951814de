"""Repetition turning points: the hand labels' formats and the one-to-one matching of events.

Parsing ``rep_event_times_s`` (a human-written column of ``labels.csv``), in seconds:

* Events are numbers (``1.7``), approximate numbers (``~1.0``) or ranges (``1.3-4.0``, a
  paused turning point: a prediction anywhere inside matches). They are separated by spaces,
  ``;``, ``,`` or ``:``.
* Words before the first event are a label (``bottoms``, ``tops``, ``arms overhead``) and are
  ignored; ``s`` / ``sec`` are units. Any other word after the first event makes the row
  unreadable.
* A parenthesised marker follows an event: ``0.0(start)``, ``18.1(end)``. A parenthesised
  group with events marks all of them: ``(11.2-12.4 incomplete)``. Markers are ``start``,
  ``end`` and ``incomplete`` (``partial`` is read as ``incomplete``).
* ``every ~S s from A to B`` stands for ``true_reps`` events evenly spaced from A to B (their
  spacing must be within 25 % of S).
* Events marked ``incomplete`` are not repetitions and are dropped. While more events remain
  than ``true_reps``, the earliest event marked ``start`` is dropped (it is the end of a
  repetition before the clip). ``end`` marks are kept.
* A row that cannot be read, or whose event count then differs from ``true_reps``, gets no
  event score; :attr:`EventLabels.problem` says why (the run goes on).

Matching: a prediction at time ``t`` matches a labelled event when its distance to the event
(to the interval, for a range) is at most ``max(0.6 s, median labelled period / 3)``; the
period is the median gap between consecutive labelled events' centres. Matching is one-to-one
and maximises the number of matches, then minimises their total distance: an optimal
assignment (:func:`scipy.optimize.linear_sum_assignment`) on the cost ``distance - B`` for
feasible pairs and ``0`` for infeasible ones, with ``B`` larger than any matching's total
distance, so one more match always wins; pairs left infeasible are discarded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

#: Least matching tolerance, seconds.
MIN_TOLERANCE_S = 0.6
#: Share of the median labelled repetition period used as tolerance when it is larger.
PERIOD_TOLERANCE_SHARE = 1.0 / 3.0
#: ``every ~S s`` must agree with the spacing it implies within this share of S.
EVERY_SPACING_SHARE = 0.25

_MARKERS = {"start": "start", "end": "end", "incomplete": "incomplete",
            "partial": "incomplete"}
_UNITS = {"s", "sec"}
_NUM = r"~?\s*\d+(?:\.\d+)?"
_TOKEN = re.compile(rf"(?P<range>{_NUM}\s*-\s*{_NUM})|(?P<num>{_NUM})|(?P<open>\()"
                    r"|(?P<close>\))|(?P<word>[a-z]+)|(?P<sep>[\s;,:]+)|(?P<other>.)")
_EVERY = re.compile(rf"every\s*(?P<step>{_NUM})\s*s?\s+from\s+(?P<first>{_NUM})\s*s?\s+"
                    rf"to\s+(?P<last>{_NUM})\s*s?")


@dataclass(frozen=True, slots=True)
class LabelEvent:
    """One labelled turning point: ``start_s == end_s`` for a point, else an interval.

    Attributes:
        start_s, end_s: the interval, seconds from the clip's first frame.
        marker: ``start``, ``end``, ``incomplete`` or None.
    """

    start_s: float
    end_s: float
    marker: str | None = None

    @property
    def center_s(self) -> float:
        return (self.start_s + self.end_s) / 2.0

    def offset_s(self, t_s: float) -> float:
        """Signed distance from the interval to ``t_s`` (0 inside, negative before it)."""
        if t_s < self.start_s:
            return t_s - self.start_s
        if t_s > self.end_s:
            return t_s - self.end_s
        return 0.0


@dataclass(frozen=True, slots=True)
class EventLabels:
    """The labelled events of one clip after the rules above.

    Attributes:
        events: the repetitions' turning points, in time order.
        dropped: parsed events that are not counted repetitions (``incomplete``, ``start``).
        problem: why the clip gets no event score (None when it gets one).
    """

    events: tuple[LabelEvent, ...]
    dropped: tuple[LabelEvent, ...] = ()
    problem: str | None = None


class _Unreadable(ValueError):
    """The text is not one of the formats above."""


def parse_rep_events(text: str, true_reps: int) -> EventLabels:
    """The labelled events of ``text`` for a clip with ``true_reps`` repetitions."""
    clean = text.strip().lower()
    if not clean:
        return EventLabels((), problem="no rep_event_times_s given")
    try:
        every = _EVERY.search(clean)
        parsed = (_every_events(clean, every, true_reps) if every is not None
                  else _tokens_to_events(clean))
    except _Unreadable as exc:
        return EventLabels((), problem=f"unreadable rep_event_times_s {text!r}: {exc}")
    parsed.sort(key=lambda e: (e.start_s, e.end_s))
    kept = [e for e in parsed if e.marker != "incomplete"]
    dropped = [e for e in parsed if e.marker == "incomplete"]
    while len(kept) > true_reps and any(e.marker == "start" for e in kept):
        first = next(e for e in kept if e.marker == "start")
        kept.remove(first)
        dropped.append(first)
    problem = None
    if len(kept) != true_reps:
        problem = f"{len(kept)} events in {text!r} but true_reps is {true_reps}"
    return EventLabels(tuple(kept), tuple(dropped), problem)


def _number(text: str) -> float:
    return float(text.replace("~", "").strip())


def _every_events(clean: str, every: re.Match[str], true_reps: int) -> list[LabelEvent]:
    rest = clean[:every.start()] + clean[every.end():]
    if re.search(r"\d", rest):
        raise _Unreadable("'every ... from ... to ...' must be the only times given")
    step, first, last = (_number(every[k]) for k in ("step", "first", "last"))
    if true_reps < 2 or last <= first:
        raise _Unreadable("'every' needs at least 2 repetitions and an increasing span")
    spacing = (last - first) / (true_reps - 1)
    if abs(spacing - step) > EVERY_SPACING_SHARE * step:
        raise _Unreadable(f"{true_reps} events from {first} to {last} are {spacing:.2f} s "
                          f"apart, not ~{step} s")
    return [LabelEvent(float(t), float(t)) for t in np.linspace(first, last, true_reps)]


def _tokens_to_events(clean: str) -> list[LabelEvent]:
    """Events of the number / range / marker format (see the module docstring)."""
    events: list[LabelEvent] = []
    group: list[LabelEvent] | None = None
    group_marker: str | None = None
    for tok in _TOKEN.finditer(clean):
        kind, value = tok.lastgroup, tok.group()
        if kind == "sep":
            continue
        if kind in ("range", "num"):
            lo, _, hi = value.partition("-") if kind == "range" else (value, "", value)
            event = LabelEvent(_number(lo), _number(hi))
            if event.end_s < event.start_s:
                raise _Unreadable(f"range {value!r} ends before it starts")
            (events if group is None else group).append(event)
        elif kind == "open":
            if group is not None:
                raise _Unreadable("nested parentheses")
            group, group_marker = [], None
        elif kind == "close":
            if group is None:
                raise _Unreadable("')' without '('")
            events.extend(_close_group(events, group, group_marker))
            group = None
        elif kind == "word" and value in _MARKERS and group is not None:
            group_marker = _MARKERS[value]
        elif kind == "word" and (value in _UNITS or (not events and group is None)):
            continue
        else:
            raise _Unreadable(f"unexpected {value!r}")
    if group is not None:
        raise _Unreadable("'(' without ')'")
    if not events:
        raise _Unreadable("no times found")
    return events


def _close_group(events: list[LabelEvent], group: list[LabelEvent],
                 marker: str | None) -> list[LabelEvent]:
    """The events a closed ``( ... )`` adds; a bare marker marks the event before it."""
    if group:
        return [LabelEvent(e.start_s, e.end_s, marker) for e in group]
    if marker is None or not events:
        raise _Unreadable("'( )' needs a marker after an event")
    last = events.pop()
    return [LabelEvent(last.start_s, last.end_s, marker)]


@dataclass(frozen=True, slots=True)
class EventMatch:
    """A labelled event and the prediction matched to it (``error_s``: signed distance)."""

    label: LabelEvent
    predicted_s: float
    error_s: float


@dataclass(frozen=True, slots=True)
class EventScore:
    """One clip's matching.

    Attributes:
        matches: matched pairs in label time order (true positives).
        missed: labelled events left unmatched (false negatives).
        extra_s: predictions left unmatched, seconds (false positives).
        tolerance_s: the matching tolerance used.
    """

    matches: tuple[EventMatch, ...]
    missed: tuple[LabelEvent, ...]
    extra_s: tuple[float, ...]
    tolerance_s: float

    @property
    def tp(self) -> int:
        return len(self.matches)

    @property
    def fp(self) -> int:
        return len(self.extra_s)

    @property
    def fn(self) -> int:
        return len(self.missed)


def event_tolerance_s(events: Sequence[LabelEvent]) -> float:
    """``max(0.6 s, median gap between consecutive events' centres / 3)``."""
    if len(events) < 2:
        return MIN_TOLERANCE_S
    centres = np.sort([e.center_s for e in events])
    return max(MIN_TOLERANCE_S, float(np.median(np.diff(centres))) * PERIOD_TOLERANCE_SHARE)


def match_events(labels: Sequence[LabelEvent], predicted_s: Sequence[float]) -> EventScore:
    """The one-to-one matching with the most matches, then the least total distance."""
    tol = event_tolerance_s(labels)
    preds = [float(p) for p in predicted_s]
    pairs: list[tuple[int, int]] = []
    if labels and preds:
        dist = np.array([[abs(e.offset_s(p)) for p in preds] for e in labels])
        feasible = dist <= tol + 1e-9
        bonus = tol * (min(len(labels), len(preds)) + 1) + 1.0
        rows, cols = linear_sum_assignment(np.where(feasible, dist - bonus, 0.0))
        pairs = [(int(i), int(j)) for i, j in zip(rows, cols, strict=True) if feasible[i, j]]
    matched_l = {i for i, _ in pairs}
    matched_p = {j for _, j in pairs}
    matches = tuple(sorted((EventMatch(labels[i], preds[j], labels[i].offset_s(preds[j]))
                            for i, j in pairs), key=lambda m: m.label.start_s))
    return EventScore(matches,
                      tuple(e for i, e in enumerate(labels) if i not in matched_l),
                      tuple(p for j, p in enumerate(preds) if j not in matched_p), tol)


@dataclass(frozen=True, slots=True)
class EventTotals:
    """Micro-averaged event counts over clips (0.0 where a ratio has no denominator)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: EventTotals) -> EventTotals:
        return EventTotals(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0

    @classmethod
    def of(cls, score: EventScore) -> EventTotals:
        return cls(score.tp, score.fp, score.fn)
