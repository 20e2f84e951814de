"""When and how much a prescription asks for: weekdays, daily slots and dose phases.

One reading of a prescription for everything that turns it into a calendar: the ICS feed
(:mod:`hepvision.server.ics`) and the FHIR export's ``ServiceRequest.occurrenceTiming``.

- Weekdays: ``days_per_week`` days spread over the week (3 -> Monday, Wednesday, Friday).
- Slots: ``sessions_per_day`` sessions at fixed local times (1 -> 09:00; 2 -> 09:00, 18:00; ...).
- Dose phases: the progression steps, applied as the device applies them
  (``hepvision.live.prescribed.prescribed_plan``: the latest step whose ``after_days`` has
  passed since the version was created, each field replacing the base dose; reps capped by
  ``overrides.max_reps_per_set``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time

from hepvision.errors import TemplateError
from hepvision.server.schemas import PrescribedExercise
from hepvision.templates import load_template

#: ISO weekday numbers (Monday = 1) for each number of days a week.
WEEKDAYS: dict[int, tuple[int, ...]] = {
    1: (1,), 2: (1, 4), 3: (1, 3, 5), 4: (1, 2, 4, 5), 5: (1, 2, 3, 4, 5),
    6: (1, 2, 3, 4, 5, 6), 7: (1, 2, 3, 4, 5, 6, 7)}
#: Local start times of the sessions of a day, by sessions a day.
SLOTS: dict[int, tuple[time, ...]] = {
    1: (time(9),), 2: (time(9), time(18)), 3: (time(9), time(13), time(18)),
    4: (time(8), time(12), time(16), time(20)),
    5: (time(8), time(11), time(14), time(17), time(20)),
    6: (time(8), time(10), time(12), time(14), time(16), time(18))}
DEFAULT_REST_S = 60.0
#: Seconds one repetition takes in the duration estimate of a calendar event (without hold).
REP_S = 4.0


@dataclass(frozen=True, slots=True)
class Dose:
    """The dose of one exercise from ``from_day`` (days after the version was created)."""

    from_day: int
    sets: int
    reps: int
    hold_s: float


def weekdays(entry: PrescribedExercise) -> tuple[int, ...]:
    return WEEKDAYS[entry.days_per_week]


def slots(entry: PrescribedExercise) -> tuple[time, ...]:
    return SLOTS[entry.sessions_per_day]


def dose_on(entry: PrescribedExercise, days_on_version: int) -> Dose:
    """The dose ``days_on_version`` days after the version was created."""
    sets, reps, hold_s, since = entry.sets, entry.reps, entry.hold_s, 0
    steps = [s for s in entry.progression if s.after_days <= days_on_version]
    if steps:
        step = max(steps, key=lambda s: s.after_days)
        since = step.after_days
        sets = step.sets if step.sets is not None else sets
        reps = step.reps if step.reps is not None else reps
        hold_s = step.hold_s if step.hold_s is not None else hold_s
    cap = entry.overrides.max_reps_per_set
    return Dose(since, sets, min(reps, cap) if cap is not None else reps, hold_s)


def phase_starts(exercises: list[PrescribedExercise]) -> list[int]:
    """Days (after the version was created) on which some exercise's dose changes, from 0."""
    return sorted({0} | {s.after_days for e in exercises for s in e.progression})


def duration_s(entry: PrescribedExercise, dose: Dose) -> float:
    """A generous estimate of the time one session of ``entry`` takes (calendar blocks)."""
    rest_s = entry.rest_s if entry.rest_s is not None else DEFAULT_REST_S
    return dose.sets * dose.reps * (REP_S + dose.hold_s) + max(0, dose.sets - 1) * rest_s


def dose_text(entry: PrescribedExercise, dose: Dose) -> str:
    """``2 sets x 10 reps, hold 5 s, rest 60 s, left side``."""
    parts = [f"{dose.sets} sets x {dose.reps} reps"]
    if dose.hold_s:
        parts.append(f"hold {dose.hold_s:g} s")
    if entry.rest_s is not None:
        parts.append(f"rest {entry.rest_s:g} s")
    if entry.side not in (None, "none"):
        parts.append("both sides" if entry.side == "both" else f"{entry.side} side")
    return ", ".join(parts)


def template_names(exercise_ids: Iterable[str]) -> dict[str, str]:
    """Display names of exercise ids from the template library; an id whose template has left
    the library since it was prescribed keeps its id as its name."""
    names = {}
    for exercise_id in sorted(set(exercise_ids)):
        try:
            names[exercise_id] = load_template(exercise_id).name
        except TemplateError:
            names[exercise_id] = exercise_id
    return names
