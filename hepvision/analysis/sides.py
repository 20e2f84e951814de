"""Per-side counting: one counter per body side, and the rule that turns their excursions into
repetitions.

Every repetition template with more than one possible side (``both``, ``alternating``,
``either``) runs one signal, filter and state machine per side. Their excursions are merged by
one rule: **two excursions whose turning points fall inside each other's span are one
movement.** Then

- ``both``: both sides moving together are one bilateral repetition, and it is judged on both:
  when the other side moved too, the mean of the two sides' peaks must pass the turn (a lunge in
  which one knee wobbles past the turn while the other stays shallow is no repetition); a
  repetition that only one side made, while the other side was seen and stayed still, counts on
  its working side (a one-arm raise scored with a two-arm template is never averaged with the
  resting arm);
- ``alternating`` / ``either``: a left and a right turning point cannot coincide, so coinciding
  excursions are one repetition of the side that moved more (its range from its own rest); the
  other is sympathetic motion (the stance hip of a leaning patient, the resting arm swaying);
- ``left`` / ``right``: one counter; every excursion is its own.

Counting is incremental (live and offline alike): a counted excursion that coincides with an
already counted one of the other side adds nothing to the count.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from hepvision.analysis.signal import SignalReading
from hepvision.filters.one_euro import OneEuroScalar
from hepvision.reps.state_machine import CounterSettings, RepEvent, RepStateMachine
from hepvision.vocabulary import ReadingSource, Side, TemplateSide

#: One-Euro settings for the counted signal: ~3 frames of lag at rest at 30 fps, ~1 in motion.
SIGNAL_MIN_CUTOFF_HZ = 1.5
SIGNAL_BETA = 0.02


@dataclass(slots=True)
class SideStream:
    """One side's counted signal: filter, state machine and the recorded samples.

    Attributes:
        side: the body side.
        times: (T,) ms of every frame fed; raw: the unfiltered honest reading (NaN: not
        measurable; ROM uses only these); confidence: the reading's confidence 0..1; source:
        which landmarks read it (``image``, ``world``, ``reach``, ``none``); counted: the value
        the counter followed (the reading, or its reach estimate).
    """

    side: Side
    settings: CounterSettings
    filter: OneEuroScalar = field(init=False)
    machine: RepStateMachine = field(init=False)
    times: list[int] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    confidence: list[float] = field(default_factory=list)
    source: list[ReadingSource] = field(default_factory=list)
    counted: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.filter = OneEuroScalar(SIGNAL_MIN_CUTOFF_HZ, SIGNAL_BETA)
        self.machine = RepStateMachine(self.settings)

    def feed(self, t_ms: int, reading: SignalReading) -> tuple[float, RepEvent | None]:
        """Record one reading; the filtered value and the excursion it finished, if any."""
        self.times.append(t_ms)
        self.raw.append(reading.value)
        self.confidence.append(reading.confidence)
        self.source.append(reading.source)
        self.counted.append(reading.count_value)
        smooth = self.filter(reading.count_value, t_ms)
        return smooth, self.machine.update(t_ms, smooth)


def amplitude(event: RepEvent, rising: bool) -> float:
    """An excursion's range from the lower (rising) end of its start and end values."""
    start, end = event.start_value, event.end_value
    base = end if not start == start else (min(start, end) if rising else max(start, end))
    if not base == base:
        return 0.0
    return abs(event.peak_value - base)


def bilateral_ok(event: RepEvent, other: SideStream, settings: CounterSettings,
                 moved_share: float) -> bool:
    """For a ``both`` template: does a repetition counted on one side stand, given the other
    side over the same span? Yes when the other side was not measured or stayed still (a
    one-sided repetition), else when the mean of the two peaks passes the turn."""
    i0 = bisect.bisect_left(other.times, event.start_ms)
    i1 = bisect.bisect_right(other.times, event.end_ms)
    seen = [v for v in other.counted[i0:i1] if v == v]
    if len(seen) < max(3, (i1 - i0) // 2):
        return True
    if max(seen) - min(seen) < moved_share * settings.min_amplitude:
        return True
    other_peak = max(seen) if settings.rising else min(seen)
    mean = (event.peak_value + other_peak) / 2.0
    return mean >= settings.turn if settings.rising else mean <= settings.turn


def coincide(a: RepEvent, b: RepEvent) -> bool:
    """True when either turning point falls inside the other excursion's span."""
    return a.start_ms <= b.peak_ms <= a.end_ms or b.start_ms <= a.peak_ms <= b.end_ms


@dataclass(slots=True)
class RepGroup:
    """One repetition (or one partial excursion): the sides' excursions merged into it.

    Attributes:
        events: each side's excursion; counted: a repetition (else a partial excursion);
        primary: the side whose excursion was largest (the working side).
    """

    events: dict[Side, RepEvent]
    amplitudes: dict[Side, float]
    counted: bool
    primary: Side

    @property
    def start_ms(self) -> int:
        return min(e.start_ms for e in self.events.values())

    @property
    def end_ms(self) -> int:
        return max(e.end_ms for e in self.events.values())

    @property
    def event(self) -> RepEvent:
        """The working side's excursion."""
        return self.events[self.primary]

    def coincides(self, event: RepEvent) -> bool:
        return any(coincide(e, event) for e in self.events.values())

    def absorb(self, side: Side, event: RepEvent, amp: float) -> None:
        if side in self.events and self.amplitudes[side] >= amp:
            return
        self.events[side] = event
        self.amplitudes[side] = amp
        if amp > self.amplitudes[self.primary]:
            self.primary = side


class RepMerger:
    """Merges the sides' excursions into repetitions (see the module docstring)."""

    def __init__(self, template_side: TemplateSide, rising: bool) -> None:
        self.template_side = template_side
        self.rising = rising
        self.reps: list[RepGroup] = []
        self.partials: list[RepGroup] = []

    @property
    def count(self) -> int:
        return len(self.reps)

    def add(self, side: Side, event: RepEvent) -> RepGroup | None:
        """Take one finished excursion; returns the new repetition when it adds one."""
        amp = amplitude(event, self.rising)
        if not event.counted:
            self._add_partial(side, event, amp)
            return None
        for group in reversed(self.reps[-4:]):
            if side not in group.events and group.coincides(event):
                group.absorb(side, event, amp)
                return None
        group = RepGroup({side: event}, {side: amp}, True, side)
        self.reps.append(group)
        return group

    def _add_partial(self, side: Side, event: RepEvent, amp: float) -> None:
        for group in reversed(self.partials[-4:]):
            if side not in group.events and group.coincides(event):
                group.absorb(side, event, amp)
                return
        self.partials.append(RepGroup({side: event}, {side: amp}, False, side))

    def finish(self) -> tuple[list[RepGroup], list[RepGroup]]:
        """(repetitions, partial excursions) in time order; a partial excursion of one side
        that coincides with a repetition is that repetition's other side, not a partial."""
        partials = []
        for p in self.partials:
            host = next((r for r in self.reps if any(r.coincides(e)
                                                     for e in p.events.values())), None)
            if host is None:
                partials.append(p)
                continue
            for side, event in p.events.items():
                if side not in host.events:
                    host.amplitudes.setdefault(side, p.amplitudes[side])
        reps = sorted(self.reps, key=lambda g: g.start_ms)
        return reps, sorted(partials, key=lambda g: g.start_ms)
