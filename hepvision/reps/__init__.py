"""Repetition counting: the template-driven state machine and a template-free counter."""

from hepvision.reps.free import PeriodicCount, count_periodic
from hepvision.reps.state_machine import (
    CounterSettings,
    CounterState,
    RepEvent,
    RepStateMachine,
    summarize_excursion,
)

__all__ = ["CounterSettings", "CounterState", "PeriodicCount", "RepEvent", "RepStateMachine",
           "count_periodic", "summarize_excursion"]
