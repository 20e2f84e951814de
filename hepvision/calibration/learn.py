"""A personal template learned from a demonstration: the patient's first three clear
repetitions set the counter's thresholds, the target ROM, the tempo limit and the hold, written
as that patient's template overrides (:class:`~hepvision.templates.TemplateOverrides`).

What is learned, from the three repetitions only (``rest``: the median of their six rest
values; ``A``: the smallest excursion from rest; every share below is a fraction of the
patient's own range, chosen from the counter's design, not fitted to any clip):

- ``start = rest + START_SHARE * A`` and ``turn = rest + TURN_SHARE * A``: the turn sits well
  inside the shallowest demonstrated repetition (a margin of ``1 - TURN_SHARE`` of it for a
  tired or shallower repetition), the start clear of the rest noise;
- ``hysteresis = HYSTERESIS_SHARE * A`` (at least the template's lower bound) and
  ``min_amplitude = AMPLITUDE_SHARE * A``;
- target ROM: the median of the three peaks; a ``rom`` form rule's limit
  ``rest + ROM_RULE_SHARE * (target - rest)`` (it must lie beyond the turn);
- tempo: a ``tempo`` form rule's limit ``TEMPO_SHARE`` x the median time the demonstrated
  repetitions spent beyond the learned start (what the counter times);
- hold: the median time within 5 % of the peak when it is at least :data:`MIN_HOLD_S`
  (``counter.hold_s`` and ``dosage.hold_s``);
- the side, for an ``either`` template, when one side clearly did the moving.

A demonstration is refused (:class:`~hepvision.calibration.demonstration.DemonstrationError`,
with the reason) without three clear repetitions, when their ranges differ by more than a
factor :data:`MAX_RANGE_RATIO` or their durations by more than :data:`MAX_DURATION_RATIO`, or when they move less than :data:`MIN_RANGE_HYSTERESES`
template hystereses.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import numpy as np

from hepvision.calibration.demonstration import (
    DemonstrationError,
    DemoRepetition,
    DemoSignal,
    Segmentation,
    clear_repetitions,
    describe,
    read_signal,
)
from hepvision.pose.types import PoseResult
from hepvision.templates import (
    CounterOverrides,
    DosageOverrides,
    ExerciseTemplate,
    HoldCounter,
    RuleKind,
    TemplateOverrides,
    apply_overrides,
)
from hepvision.templates.counters import AngleCounter, DistanceCounter
from hepvision.vocabulary import Side, TemplateSide

#: Repetitions a demonstration must show.
DEMO_REPS = 3
START_SHARE = 0.3
TURN_SHARE = 0.6
HYSTERESIS_SHARE = 0.08
AMPLITUDE_SHARE = 0.45
ROM_RULE_SHARE = 0.85
TEMPO_SHARE = 0.6
#: A demonstrated hold shorter than this is a turn, not a hold (seconds).
MIN_HOLD_S = 1.0
#: The largest excursion of the three may be at most this many times the smallest.
MAX_RANGE_RATIO = 2.0
#: The longest of the three repetitions (time beyond half its excursion) may last at most this
#: many times the shortest.
MAX_DURATION_RATIO = 2.5
#: The smallest excursion, in template hystereses (below it the counter cannot tell noise).
MIN_RANGE_HYSTERESES = 3.0
#: One side "did the moving" when its range is at least this many times the other's.
ONE_SIDED_RATIO = 3.0


@dataclass(frozen=True, slots=True)
class LearnedTemplate:
    """The result of a demonstration.

    Attributes:
        overrides: the patient's overrides (apply with :func:`~hepvision.templates.
            apply_overrides`).
        template: the base template with them applied.
        reps: the three repetitions learned from (values in the counter's unit).
        rest: the rest level; used_until_ms: the end of the third repetition.
        notes: one line per learned value, for the report.
    """

    overrides: TemplateOverrides
    template: ExerciseTemplate
    reps: tuple[DemoRepetition, ...]
    rest: float
    used_until_ms: int
    notes: tuple[str, ...]


def learn_template(results: list[PoseResult], template: ExerciseTemplate) -> LearnedTemplate:
    """Learn ``template``'s personal overrides from a demonstration (pose results in order).

    Raises:
        DemonstrationError: not three clear repetitions, or they cannot teach a counter (the
            message says why).
    """
    counter = template.counter
    if isinstance(counter, HoldCounter):
        raise DemonstrationError(f"{template.id!r} is a timed hold: a demonstration teaches "
                                 "repetition templates only")
    signal = read_signal(results, template)
    hyst0 = counter_hysteresis(template)
    seg = clear_repetitions(signal, hyst0)
    reps = _first_three(seg, template)
    sign = 1.0 if signal.rising else -1.0
    rest = statistics.median([v for r in reps for v in (r.rest_before, r.rest_after)])
    excursions = [sign * (r.peak - rest) for r in reps]
    _check_ranges(excursions, hyst0, template)
    _check_durations(seg, reps, signal.rising)
    a = min(excursions)
    unit = template.signal_unit.value
    start, turn = rest + sign * START_SHARE * a, rest + sign * TURN_SHARE * a
    target = statistics.median(r.peak for r in reps)
    c = CounterOverrides(start=_round(start, unit), turn=_round(turn, unit),
                         hysteresis=_round(max(HYSTERESIS_SHARE * a, _min_hysteresis(template)),
                                           unit, up=True),
                         min_amplitude=_round(AMPLITUDE_SHARE * a, unit),
                         hold_s=_hold_s(reps))
    limits = _rule_limits(template, seg, reps, rest, target, start, signal.rising)
    hold = c.hold_s
    overrides = TemplateOverrides(
        template=template.id, target_rom=_round(target, unit), counter=c, rule_limits=limits,
        dosage=DosageOverrides(hold_s=hold) if hold else None,
        side=_working_side(signal, reps, template))
    learned = apply_overrides(template, overrides, source="demonstration")
    notes = tuple(describe(r, unit) for r in reps) + (
        f"rest {rest:.3g}, start {c.start:g}, turn {c.turn:g}, hysteresis {c.hysteresis:g}, "
        f"min amplitude {c.min_amplitude:g}, target {overrides.target_rom:g} {unit}",)
    return LearnedTemplate(overrides, learned, reps, rest, reps[-1].end_ms, notes)


def _first_three(seg: Segmentation, template: ExerciseTemplate) -> tuple[DemoRepetition, ...]:
    reps = seg.reps
    if len(reps) < DEMO_REPS:
        found = "no clear repetition" if not reps else (
            f"only {len(reps)} clear repetition{'s' if len(reps) > 1 else ''}")
        raise DemonstrationError(
            f"the demonstration shows {found} of {template.signal_name} (need {DEMO_REPS}: "
            "each starting and ending at rest, in view, of similar range); record the patient "
            "doing three good repetitions from rest")
    return reps[:DEMO_REPS]


def _check_ranges(excursions: list[float], hyst0: float, template: ExerciseTemplate) -> None:
    unit = template.signal_unit.value
    lo, hi = min(excursions), max(excursions)
    if lo < MIN_RANGE_HYSTERESES * hyst0:
        raise DemonstrationError(
            f"the repetitions move {template.signal_name} only {lo:.3g} {unit} from rest; a "
            f"counter needs at least {MIN_RANGE_HYSTERESES * hyst0:.3g} {unit}")
    if hi > MAX_RANGE_RATIO * lo:
        raise DemonstrationError(
            f"the three repetitions differ too much in range ({lo:.3g} to {hi:.3g} {unit} "
            f"from rest; at most x{MAX_RANGE_RATIO:g}): record three similar good repetitions")


def _check_durations(seg: Segmentation, reps: tuple[DemoRepetition, ...],
                     rising: bool) -> None:
    """Each repetition's time beyond half its excursion (a rest of any length before or after
    it does not count)."""
    durations = [seg.time_beyond(r, r.peak - r.excursion() / 2.0, rising) / 1000.0
                 for r in reps]
    if max(durations) > MAX_DURATION_RATIO * min(durations):
        raise DemonstrationError(
            f"the three repetitions differ too much in duration ({min(durations):.1f} to "
            f"{max(durations):.1f} s; at most x{MAX_DURATION_RATIO:g}): one of them may be "
            "a tracking error or a different movement; record three similar good repetitions")


def _rule_limits(template: ExerciseTemplate, seg: Segmentation,
                 reps: tuple[DemoRepetition, ...], rest: float, target: float, start: float,
                 rising: bool) -> dict[str, float]:
    limits: dict[str, float] = {}
    unit = template.signal_unit.value
    for rule in template.form:
        if rule.kind is RuleKind.ROM:
            limits[rule.id] = _round(rest + ROM_RULE_SHARE * (target - rest), unit)
        elif rule.kind is RuleKind.TEMPO:
            median_ms = statistics.median(seg.time_beyond(r, start, rising) for r in reps)
            limits[rule.id] = round(TEMPO_SHARE * median_ms / 1000.0, 1)
    return limits


def _hold_s(reps: tuple[DemoRepetition, ...]) -> float | None:
    hold = statistics.median(r.hold_ms for r in reps) / 1000.0
    return round(hold * 2) / 2 if hold >= MIN_HOLD_S else None


def _working_side(signal: DemoSignal, reps: tuple[DemoRepetition, ...],
                  template: ExerciseTemplate) -> TemplateSide | None:
    """For an ``either`` template: the side that did the moving, when one clearly did."""
    if TemplateSide(template.side) is not TemplateSide.EITHER:
        return None
    span = (signal.times_ms >= reps[0].start_ms) & (signal.times_ms <= reps[-1].end_ms)
    ranges = {}
    for side, x in signal.sides.items():
        seen = x[span][np.isfinite(x[span])]
        ranges[side] = float(np.ptp(seen)) if seen.size else 0.0
    left, right = ranges[Side.LEFT], ranges[Side.RIGHT]
    if left >= ONE_SIDED_RATIO * right:
        return TemplateSide.LEFT
    if right >= ONE_SIDED_RATIO * left:
        return TemplateSide.RIGHT
    return None


def counter_hysteresis(template: ExerciseTemplate) -> float:
    """The counter's hysteresis in its unit (a repetition template's)."""
    c = template.counter
    if isinstance(c, AngleCounter):
        return c.hysteresis_deg
    if isinstance(c, DistanceCounter):
        return c.hysteresis_ratio
    assert not isinstance(c, HoldCounter)
    return c.hysteresis


def _min_hysteresis(template: ExerciseTemplate) -> float:
    """The schema's lower bound of the counter's hysteresis."""
    c = template.counter
    return 0.5 if isinstance(c, AngleCounter) else 0.001


def _round(value: float, unit: str, up: bool = False) -> float:
    """Degrees to 0.5, ratios to 0.005 (``up``: never below ``value``)."""
    step = 0.5 if unit == "deg" else 0.005
    q = float(np.ceil(value / step) if up else np.round(value / step)) * step
    return round(q, 4)
