"""Timed holds (plank, single-leg stance): seconds count while every condition of the
template's hold counter is met.

A hold begins once the conditions have held for ``min_dwell_ms`` (back-dated to when they
first held) and ends when they have failed, or been unmeasurable, for longer than
``grace_ms``; its duration runs from its start to the last frame that met them. A hold that
reaches ``target_s`` counts as a repetition; shorter ones are partial.
"""

from __future__ import annotations

from dataclasses import dataclass

from hepvision.kinematics.angles import FramePoints, measure_angle
from hepvision.kinematics.definitions import AngleName, Side
from hepvision.kinematics.measures import measure
from hepvision.templates.schema import HoldCounter
from hepvision.vocabulary import MeasureName

_INF = float("inf")


@dataclass(frozen=True, slots=True)
class CompiledCondition:
    """One hold condition: the signal per side, the side rule and the limits."""

    signal: AngleName | MeasureName
    sides: tuple[Side, ...]
    mode: str  # "either", "both" (mean) or "one"
    low: float
    high: float

    def met(self, frame: FramePoints) -> bool | None:
        """True / False, or None when not measurable."""
        values = [self._read(frame, s) for s in self.sides]
        values = [v for v in values if v == v]
        if not values:
            return None
        if self.mode == "both":
            v = sum(values) / len(values)
            return self.low <= v <= self.high
        return any(self.low <= v <= self.high for v in values)

    def _read(self, frame: FramePoints, side: Side) -> float:
        if isinstance(self.signal, AngleName):
            return measure_angle(frame, self.signal, side).value_deg
        return measure(frame, self.signal, side)


def compile_conditions(counter: HoldCounter) -> tuple[CompiledCondition, ...]:
    out = []
    for c in counter.conditions:
        sides = (Side(c.side),) if c.side in ("left", "right") else (Side.LEFT, Side.RIGHT)
        mode = "both" if c.side == "both" else ("either" if len(sides) == 2 else "one")
        out.append(CompiledCondition(c.signal, sides, mode,
                                     -_INF if c.min is None else c.min,
                                     _INF if c.max is None else c.max))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class HoldBout:
    """One hold: start and end (ms) and whether it reached the target."""

    start_ms: int
    end_ms: int
    reached_target: bool

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


class HoldTracker:
    """Times holds from per-frame condition results (see the module docstring)."""

    __slots__ = ("target_ms", "grace_ms", "min_dwell_ms", "bouts", "holding", "_pending",
                 "_start", "_last_ok")

    def __init__(self, counter: HoldCounter) -> None:
        self.target_ms = int(round(counter.target_s * 1000))
        self.grace_ms = counter.grace_ms
        self.min_dwell_ms = counter.min_dwell_ms
        self.bouts: list[HoldBout] = []
        self.holding = False
        self._pending = -1
        self._start = 0
        self._last_ok = 0

    def update(self, ts: int, ok: bool | None) -> None:
        if ok:
            if not self.holding:
                if self._pending < 0:
                    self._pending = ts
                if ts - self._pending >= self.min_dwell_ms:
                    self.holding, self._start = True, self._pending
            self._last_ok = ts
            return
        self._pending = -1
        if self.holding and ts - self._last_ok > self.grace_ms:
            self._close()

    def _close(self) -> None:
        self.bouts.append(HoldBout(self._start, self._last_ok,
                                   self._last_ok - self._start >= self.target_ms))
        self.holding = False

    def current_s(self) -> float:
        return (self._last_ok - self._start) / 1000.0 if self.holding else 0.0

    @property
    def completed(self) -> int:
        return sum(1 for b in self.bouts if b.reached_target)

    def finish(self) -> list[HoldBout]:
        if self.holding:
            self._close()
        return self.bouts
