"""The patient's session flow: pain before -> sets with rest -> pain after -> summary.

A :class:`SessionFlow` is driven by events from whatever front end shows it (the desktop
window, the browser page, a headless run): processed frames, key presses or button clicks,
and the clock. It owns one analyzer per set, keeps every finished set, and can be stopped at
any point without losing what was done. It does no I/O and no drawing.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hepvision.analysis import ExerciseAnalyzer, FrameFeedback
from hepvision.session.build import SessionOutcome
from hepvision.session.record import ExercisePlan, SetEnd, SetRecord
from hepvision.templates import ExerciseTemplate
from hepvision.vocabulary import PAIN_NRS_MAX, PAIN_NRS_MIN

__all__ = ["ExercisePlan", "FlowState", "SessionFlow", "SetEnd", "SetRecord"]

log = logging.getLogger(__name__)


class FlowState(enum.StrEnum):
    """Where the patient is in the session."""

    PAIN_BEFORE = "pain_before"
    ACTIVE = "active"
    REST = "rest"
    PAIN_AFTER = "pain_after"
    SUMMARY = "summary"


@dataclass(slots=True)
class SessionFlow:
    """State machine of one session (mutable; one instance per session)."""

    plans: tuple[ExercisePlan, ...]
    analyzer_factory: Callable[[ExerciseTemplate], ExerciseAnalyzer] = ExerciseAnalyzer
    clock: Callable[[], float] = time.monotonic
    ask_pain: bool = True
    session_id: uuid.UUID = field(default_factory=uuid.uuid4)
    state: FlowState = FlowState.PAIN_BEFORE
    exercise_index: int = 0
    set_index: int = 0
    pain_before: int | None = None
    pain_after: int | None = None
    stopped_early: bool = False
    stop_reason: str | None = None
    finished: list[SetRecord] = field(default_factory=list)
    last_feedback: FrameFeedback | None = None
    message: str = ""
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended_at: datetime | None = None
    _analyzer: ExerciseAnalyzer | None = None
    _rest_until: float | None = None
    _rest_started: float | None = None

    def __post_init__(self) -> None:
        if not self.plans:
            raise ValueError("a session needs at least one exercise")
        if self.ask_pain:
            self.message = "Rate your pain now, 0 (none) to 10 (worst)"
        else:
            self._begin_set()

    # -- what the screen shows -------------------------------------------------------------
    @property
    def plan(self) -> ExercisePlan:
        return self.plans[self.exercise_index]

    @property
    def analyzer(self) -> ExerciseAnalyzer | None:
        return self._analyzer if self.state is FlowState.ACTIVE else None

    @property
    def done(self) -> bool:
        return self.state is FlowState.SUMMARY

    def rest_remaining_s(self) -> float:
        if self.state is not FlowState.REST or self._rest_until is None:
            return 0.0
        return max(0.0, self._rest_until - self.clock())

    def status(self) -> dict[str, Any]:
        """A JSON-ready snapshot for a display."""
        fb = self.last_feedback
        return {
            "state": self.state.value,
            "exercise": self.plan.template.id,
            "exercise_name": self.plan.template.name,
            "exercise_index": self.exercise_index,
            "exercises": len(self.plans),
            "set": self.set_index + 1,
            "sets": self.plan.sets,
            "reps": fb.reps + fb.pending if (fb and self.state is FlowState.ACTIVE) else 0,
            "target_reps": self.plan.reps,
            "rest_remaining_s": round(self.rest_remaining_s(), 1),
            "message": self.message,
            "total_reps": self.total_reps(),
        }

    def total_reps(self) -> int:
        done = sum(s.analysis.reps for s in self.finished)
        if self.state is FlowState.ACTIVE and self.last_feedback is not None:
            done += self.last_feedback.reps
        return done

    def outcome(self, ended_at: datetime | None = None) -> SessionOutcome:
        """What the session ended with (call once it is done; ``ended_at`` defaults to when
        it reached the summary, or now)."""
        end = ended_at or self.ended_at or datetime.now(UTC)
        return SessionOutcome(
            session_id=self.session_id, started_at=self.started_at, ended_at=end,
            plans=self.plans, sets=tuple(self.finished), pain_before=self.pain_before,
            pain_after=self.pain_after, stopped_early=self.stopped_early,
            stop_reason=self.stop_reason)

    # -- events ----------------------------------------------------------------------------
    def rate_pain(self, value: int) -> None:
        """A pain rating 0-10: before the session, after it, or reported during a set."""
        if not PAIN_NRS_MIN <= value <= PAIN_NRS_MAX:
            raise ValueError(f"pain is rated {PAIN_NRS_MIN} to {PAIN_NRS_MAX}")
        if self.state is FlowState.PAIN_BEFORE:
            self.pain_before = value
            if value >= self.plan.pain_stop_nrs:
                self.stopped_early = True
                self.stop_reason = (f"pain {value}/10 before starting is at or above the stop "
                                    f"threshold {self.plan.pain_stop_nrs}")
                self._ask_after_or_summary()
                return
            self._begin_set()
        elif self.state is FlowState.PAIN_AFTER:
            self.pain_after = value
            self._to_summary()
        elif self.state is FlowState.ACTIVE:
            if value >= self.plan.pain_stop_nrs:
                self.stop_reason = (f"pain {value}/10 during set {self.set_index + 1} of "
                                    f"{self.plan.template.id} (stop threshold "
                                    f"{self.plan.pain_stop_nrs})")
                self._end_set(SetEnd.PAIN, pain=value)
                self.stopped_early = True
                self._ask_after_or_summary()

    def skip_pain(self) -> None:
        """Go on without a rating (nobody to ask, or the patient declined)."""
        if self.state is FlowState.PAIN_BEFORE:
            self._begin_set()
        elif self.state is FlowState.PAIN_AFTER:
            self._to_summary()

    def on_feedback(self, feedback: FrameFeedback) -> None:
        """A processed frame's feedback during a set."""
        if self.state is not FlowState.ACTIVE:
            return
        self.last_feedback = feedback
        target = self.plan.reps
        if target > 0 and feedback.reps >= target:
            self._end_set(SetEnd.TARGET)
            self._after_set()

    def tick(self) -> None:
        """Advance timers (call every frame or so)."""
        if self.state is FlowState.REST and self.rest_remaining_s() <= 0.0:
            self._begin_set()

    def next(self) -> None:
        """The patient's "next" key: skip the rest, or end the current set now."""
        if self.state is FlowState.REST:
            self._begin_set()
        elif self.state is FlowState.ACTIVE:
            self._end_set(SetEnd.PATIENT)
            self._after_set()

    def stop(self, reason: str = "stopped by the patient") -> None:
        """End the session early; everything done so far is kept."""
        if self.state in (FlowState.PAIN_AFTER, FlowState.SUMMARY):
            return
        if self.state is FlowState.ACTIVE:
            self._end_set(SetEnd.STOPPED)
        self.stopped_early = True
        self.stop_reason = self.stop_reason or reason
        self._ask_after_or_summary()

    def source_ended(self) -> None:
        """The camera or clip ended: close the set and move on to the end of the session."""
        if self.state in (FlowState.PAIN_AFTER, FlowState.SUMMARY):
            return
        if self.state is FlowState.ACTIVE:
            self._end_set(SetEnd.SOURCE_ENDED)
        remaining = self._sets_remaining()
        if remaining:
            self.stopped_early = True
            self.stop_reason = self.stop_reason or f"video ended with {remaining} set(s) to go"
        self._ask_after_or_summary()

    # -- transitions -----------------------------------------------------------------------
    def _begin_set(self) -> None:
        self._analyzer = self.analyzer_factory(self.plan.template)
        self.last_feedback = None
        self.state = FlowState.ACTIVE
        self._rest_until = None
        target = f", {self.plan.reps} reps" if self.plan.reps else ""
        self.message = (f"{self.plan.template.name}: set {self.set_index + 1} of "
                        f"{self.plan.sets}{target}")

    def _end_set(self, why: SetEnd, pain: int | None = None) -> None:
        assert self._analyzer is not None
        analysis = self._analyzer.finish()
        self.finished.append(SetRecord(self.exercise_index, self.set_index, analysis, why,
                                       None, pain))
        self._analyzer = None
        log.info("%s set %d ended (%s): %d reps", self.plan.template.id, self.set_index + 1,
                 why.value, analysis.reps)

    def _sets_remaining(self) -> int:
        here = self.plan.sets - (self.set_index + 1)
        later = sum(p.sets for p in self.plans[self.exercise_index + 1:])
        return max(0, here) + later

    def _after_set(self) -> None:
        if self.set_index + 1 < self.plan.sets:
            self.set_index += 1
            self._start_rest(self.plan.rest_s)
        elif self.exercise_index + 1 < len(self.plans):
            self.exercise_index += 1
            self.set_index = 0
            self._start_rest(self.plans[self.exercise_index - 1].rest_s)
        else:
            self._ask_after_or_summary()

    def _start_rest(self, seconds: float) -> None:
        self.state = FlowState.REST
        now = self.clock()
        self._rest_started = now
        self._rest_until = now + seconds
        if self.finished:
            self.finished[-1] = dataclasses.replace(self.finished[-1], rest_s=seconds)
        self.message = f"Rest {seconds:.0f} s, then {self.plan.template.name} set " \
                       f"{self.set_index + 1} of {self.plan.sets}"

    def _ask_after_or_summary(self) -> None:
        if self.ask_pain and self.pain_after is None:
            self.state = FlowState.PAIN_AFTER
            self.message = "Rate your pain now, 0 (none) to 10 (worst)"
        else:
            self._to_summary()

    def _to_summary(self) -> None:
        self.state = FlowState.SUMMARY
        self.ended_at = datetime.now(UTC)
        self.message = f"Done: {self.total_reps()} reps. Well done!"
