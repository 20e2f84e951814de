"""The one place a :class:`~hepvision.session.record.SessionRecord` is built.

Every run (``track``, ``live``, ``app``, the Python API) drives a
:class:`~hepvision.live.flow.SessionFlow`, whose :meth:`~hepvision.live.flow.SessionFlow.outcome`
is a :class:`SessionOutcome`; :func:`build_record` adds the run's context, timings and media.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from hepvision.session.record import (
    ExercisePlan,
    ExerciseRecord,
    MediaInfo,
    RunContext,
    RunTimings,
    SessionRecord,
    SetRecord,
)


@dataclass(frozen=True, slots=True)
class SessionOutcome:
    """What a session flow ended with: its plans, the sets done, the pain ratings, the stop.

    ``sets`` are in the order they were done; each names its exercise by ``exercise_index``.
    """

    session_id: uuid.UUID
    started_at: datetime
    ended_at: datetime
    plans: tuple[ExercisePlan, ...]
    sets: tuple[SetRecord, ...]
    pain_before: int | None
    pain_after: int | None
    stopped_early: bool
    stop_reason: str | None


def build_record(outcome: SessionOutcome, context: RunContext, timings: RunTimings,
                 media: MediaInfo | None = None) -> SessionRecord:
    """The session record of ``outcome``: one :class:`ExerciseRecord` per exercise with at
    least one set done (an exercise never reached is only in ``plans``)."""
    if outcome.started_at.tzinfo is None or outcome.ended_at.tzinfo is None:
        raise ValueError("a session's start and end must be timezone-aware")
    exercises = []
    for index, plan in enumerate(outcome.plans):
        sets = tuple(s for s in outcome.sets if s.exercise_index == index)
        if sets:
            exercises.append(ExerciseRecord(plan, sets))
    return SessionRecord(
        session_id=outcome.session_id, started_at=outcome.started_at,
        ended_at=outcome.ended_at, context=context, plans=outcome.plans,
        exercises=tuple(exercises), pain_before=outcome.pain_before,
        pain_after=outcome.pain_after, stopped_early=outcome.stopped_early,
        stop_reason=outcome.stop_reason, timings=timings, media=media)
