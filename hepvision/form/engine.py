"""The form rule engine: template rules compiled at load into small frozen records, evaluated
on each frame's angles and form measures, debounced, and turned into findings and cue
candidates. Per frame it does plain float work only (no pydantic, no dict building).

Frame rules (``max``, ``min``, ``asymmetry``) start an episode when their condition has held
for ``min_ms`` and end it when the condition has been false for ``min_ms``; each episode is
one finding carrying its worst value. Repetition rules (``rom``, ``tempo``) are judged once per
counted repetition. ``reference = "rest"`` rules compare the signal with its level while the
counter is at rest (a running mean), so a person's build does not look like a fault.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hepvision.form.findings import FormFinding
from hepvision.kinematics.angles import FramePoints, measure_angle
from hepvision.kinematics.definitions import AngleName, Side
from hepvision.kinematics.measures import MeasureName, measure
from hepvision.reps.state_machine import RepEvent
from hepvision.templates.schema import ExerciseTemplate, FormRule, RomCap

_KIND_MAX, _KIND_MIN, _KIND_ASYM, _KIND_ROM, _KIND_TEMPO = range(5)
_KINDS = {"max": _KIND_MAX, "min": _KIND_MIN, "asymmetry": _KIND_ASYM, "rom": _KIND_ROM,
          "tempo": _KIND_TEMPO}
#: Weight of a new rest sample in the running rest level of ``reference = "rest"`` rules.
REST_ALPHA = 0.1
#: Rest samples needed before a ``reference = "rest"`` rule is judged.
REST_MIN_SAMPLES = 5


@dataclass(frozen=True, slots=True)
class Probe:
    """One signal on one side, read once per frame."""

    signal: AngleName | MeasureName
    side: Side

    def read(self, frame: FramePoints) -> float:
        if isinstance(self.signal, AngleName):
            return measure_angle(frame, self.signal, self.side).value_deg
        return measure(frame, self.signal, self.side)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A form rule ready for the frame loop.

    Attributes:
        probes: indices into the engine's probe list: one (a side, or the mean of ``both``
            when two are given with ``mean``) or, for asymmetry, (left, right).
        mean: True when the value is the mean of the probes (``side = "both"``).
        side: the side the finding reports.
        upper: True when values above ``limit`` are faults.
    """

    rule_id: str
    kind: int
    probes: tuple[int, ...]
    mean: bool
    side: str
    limit: float
    upper: bool
    relative: bool
    min_ms: int
    severity: str
    priority: int
    cooldown_ms: int
    cue: str


def _rule_from_cap(cap: RomCap, index: int) -> list[FormRule]:
    rules = []
    for bound, kind in ((cap.max, "max"), (cap.min, "min")):
        if bound is not None:
            rules.append(FormRule(id=f"precaution_{cap.signal.value}_{kind}_{index}", kind=kind,
                                  signal=cap.signal, limit=bound, min_ms=100, severity="stop",
                                  priority=1, cooldown_s=5.0, cue=cap.cue))
    return rules


def compile_rules(template: ExerciseTemplate) -> tuple[tuple[Probe, ...], tuple[CompiledRule, ...]]:
    """The template's form rules and precaution caps as probes and compiled rules."""
    probes: list[Probe] = []

    def probe(signal: AngleName | MeasureName, side: Side) -> int:
        p = Probe(signal, side)
        if p not in probes:
            probes.append(p)
        return probes.index(p)

    sides = {"left": (Side.LEFT,), "right": (Side.RIGHT,)}.get(template.side,
                                                                (Side.LEFT, Side.RIGHT))
    rules = list(template.form)
    for i, cap in enumerate(template.precautions.rom_caps):
        rules.extend(_rule_from_cap(cap, i))
    out: list[CompiledRule] = []
    for r in rules:
        kind = _KINDS[r.kind]
        common = dict(rule_id=r.id, kind=kind, limit=float(r.limit),
                      upper=r.kind in ("max", "asymmetry"), relative=r.reference == "rest",
                      min_ms=r.min_ms, severity=r.severity, priority=r.priority,
                      cooldown_ms=int(r.cooldown_s * 1000), cue=r.cue)
        if kind in (_KIND_ROM, _KIND_TEMPO):
            out.append(CompiledRule(probes=(), mean=False, side="both", **common))
        elif kind == _KIND_ASYM:
            out.append(CompiledRule(probes=(probe(r.signal, Side.LEFT),
                                            probe(r.signal, Side.RIGHT)),
                                    mean=False, side="both", **common))
        elif r.side == "both":
            out.append(CompiledRule(probes=tuple(probe(r.signal, s) for s in Side), mean=True,
                                    side="both", **common))
        else:
            chosen = sides if r.side == "each" else (Side(r.side),)
            for s in chosen:
                out.append(CompiledRule(probes=(probe(r.signal, s),), mean=False,
                                        side=s.value, **common))
    return tuple(probes), tuple(out)


class _Episode:
    """Debounce and worst value of one compiled frame rule."""

    __slots__ = ("pending_ms", "active", "onset_ms", "clear_ms", "last_bad_ms", "worst",
                 "rest", "rest_n")

    def __init__(self) -> None:
        self.pending_ms = -1
        self.active = False
        self.onset_ms = 0
        self.clear_ms = -1
        self.last_bad_ms = 0
        self.worst = math.nan
        self.rest = 0.0
        self.rest_n = 0


class FormEngine:
    """Evaluates one template's compiled rules frame by frame and repetition by repetition."""

    def __init__(self, template: ExerciseTemplate) -> None:
        self.probes, self.rules = compile_rules(template)
        self._frame_rules = [(r, _Episode()) for r in self.rules
                             if r.kind in (_KIND_MAX, _KIND_MIN, _KIND_ASYM)]
        self._rep_rules = [r for r in self.rules if r.kind in (_KIND_ROM, _KIND_TEMPO)]
        self.findings: list[FormFinding] = []
        self._values = [math.nan] * len(self.probes)

    def update(self, frame: FramePoints, ts: int, judging: bool, at_rest: bool,
               candidates: list[tuple[int, str, int, str]]) -> None:
        """Read the probes and advance every frame rule; new episodes append cue candidates.

        ``judging``: counting is under way (setup done); ``at_rest``: the counter is at rest
        (updates the rest level of relative rules).
        """
        if not self._frame_rules:
            return
        values = self._values
        for i, p in enumerate(self.probes):
            values[i] = p.read(frame)
        for rule, ep in self._frame_rules:
            pr = rule.probes
            if rule.kind == _KIND_ASYM:
                value = abs(values[pr[0]] - values[pr[1]])
            elif rule.mean:
                a, b = values[pr[0]], values[pr[1]]
                value = (a + b) * 0.5 if a == a and b == b else (a if a == a else b)
            else:
                value = values[pr[0]]
            if rule.relative:
                if value == value and at_rest:
                    if ep.rest_n == 0:
                        ep.rest = value
                    else:
                        ep.rest += REST_ALPHA * (value - ep.rest)
                    ep.rest_n += 1
                if ep.rest_n < REST_MIN_SAMPLES:
                    continue
                value -= ep.rest
            if not judging:
                self._end(rule, ep, ts)
                continue
            bad = value > rule.limit if rule.upper else value < rule.limit  # NaN: False
            self._step(rule, ep, ts, value, bad, candidates)

    def _step(self, rule: CompiledRule, ep: _Episode, ts: int, value: float, bad: bool,
              candidates: list[tuple[int, str, int, str]]) -> None:
        if bad:
            ep.clear_ms = -1
            ep.last_bad_ms = ts
            if ep.active:
                if (value > ep.worst) if rule.upper else (value < ep.worst):
                    ep.worst = value
                return
            if ep.pending_ms < 0:
                ep.pending_ms, ep.worst = ts, value
            elif (value > ep.worst) if rule.upper else (value < ep.worst):
                ep.worst = value
            if ts - ep.pending_ms >= rule.min_ms:
                ep.active, ep.onset_ms = True, ep.pending_ms
                candidates.append((rule.priority, rule.rule_id, rule.cooldown_ms, rule.cue))
            return
        if not ep.active:
            ep.pending_ms = -1
            return
        if value != value:  # not measurable: no evidence either way
            return
        if ep.clear_ms < 0:
            ep.clear_ms = ts
        if ts - ep.clear_ms >= rule.min_ms:
            self._end(rule, ep, ts)

    def _end(self, rule: CompiledRule, ep: _Episode, ts: int) -> None:
        if ep.active:
            self.findings.append(FormFinding(rule.rule_id, rule.severity, ep.onset_ms,
                                             ep.last_bad_ms, ep.worst, rule.limit, rule.side,
                                             rule.cue))
        ep.active = False
        ep.pending_ms = -1
        ep.clear_ms = -1

    def on_repetition(self, event: RepEvent, rising: bool, side: str,
                      candidates: list[tuple[int, str, int, str]]) -> None:
        """Judge a counted repetition against the ``rom`` and ``tempo`` rules."""
        for rule in self._rep_rules:
            if rule.kind == _KIND_ROM:
                peak = event.peak_value
                short = peak < rule.limit if rising else peak > rule.limit
                if not short:
                    continue
                value, at = peak, event.peak_ms
            else:
                if event.start_value != event.start_value:  # under way at setup: start unknown
                    continue
                value = (event.end_ms - event.start_ms) / 1000.0
                if not value < rule.limit:
                    continue
                at = event.end_ms
            self.findings.append(FormFinding(rule.rule_id, rule.severity, at, at, value,
                                             rule.limit, side, rule.cue))
            candidates.append((rule.priority, rule.rule_id, rule.cooldown_ms, rule.cue))

    def finish(self, ts: int) -> list[FormFinding]:
        """Close open episodes; all findings in time order."""
        for rule, ep in self._frame_rules:
            self._end(rule, ep, ts)
        return sorted(self.findings, key=lambda f: (f.time_ms, f.rule_id, f.side))
