"""The form rule engine: template rules compiled at load into small frozen records, evaluated
on each frame's angles and form measures, debounced, and turned into findings and cue
candidates. Per frame it does plain float work only (no pydantic, no dict building).

Frame rules (``max``, ``min``, ``asymmetry``) start an episode when their condition has held
for ``min_ms`` and end it when the condition has been false for ``min_ms``; each episode is
one finding carrying its worst value. Each rule's value is smoothed first (causal, exponential,
:data:`RULE_SMOOTH_MS`), so landmark noise does not start or cancel episodes. A frame where
the signal cannot be read (NaN: a landmark dropped, the wrong view) is no evidence either
way: it neither confirms nor cancels a pending onset, unless nothing bad has been seen for
``min_ms``.

Views: a rule on a clinical angle is judged only from a reading the view shows (the image,
with the angle's plane within 30 deg of facing the camera, as
:data:`~hepvision.kinematics.angles.MIN_IMAGE_PLANE_FACTOR`); the world-landmark fallback the
counter may use (monocular depth) is not trusted to judge form, so e.g. a sagittal back arch
is not judged from a front camera. Precaution caps are the exception: they are safety limits
and use the best reading there is. Repetition rules (``rom``, ``tempo``) are judged once per
counted repetition. ``reference = "rest"`` rules compare the signal with its level while the
counter is at rest (a running mean), so a person's build does not look like a fault.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hepvision.form.cues import CueCandidate
from hepvision.form.findings import FormFinding
from hepvision.kinematics.angles import FramePoints, Source, measure_angle
from hepvision.kinematics.measures import measure
from hepvision.reps.state_machine import RepEvent
from hepvision.templates.fields import RuleKind
from hepvision.templates.schema import ExerciseTemplate, FormRule, RomCap
from hepvision.vocabulary import AngleName, MeasureName, Plane, Severity, Side

#: Weight of a new rest sample in the running rest level of ``reference = "rest"`` rules.
REST_ALPHA = 0.1
#: Rest samples needed before a ``reference = "rest"`` rule is judged.
REST_MIN_SAMPLES = 5
#: Time constant of the causal exponential smoothing of each frame rule's value, so that
#: frame-to-frame landmark noise neither starts nor cancels an episode (about 3 frames at
#: 30 fps; at 5 fps it barely smooths).
RULE_SMOOTH_MS = 100.0
#: A gap longer than this (no measurable value) restarts the smoothing.
RULE_SMOOTH_GAP_MS = 500


@dataclass(frozen=True, slots=True)
class Probe:
    """One signal on one side, read once per frame. ``image_only``: an angle read only from a
    view that shows its plane (NaN otherwise, see the module docstring)."""

    signal: AngleName | MeasureName
    side: Side
    image_only: bool = False

    def read(self, frame: FramePoints) -> float:
        if isinstance(self.signal, AngleName):
            source = Source.IMAGE if self.image_only else None
            return measure_angle(frame, self.signal, self.side, source).value_deg
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
    kind: RuleKind
    probes: tuple[int, ...]
    mean: bool
    side: str
    limit: float
    upper: bool
    relative: bool
    min_ms: int
    severity: Severity
    priority: int
    cooldown_ms: int
    cue: str


def _rule_from_cap(cap: RomCap, index: int) -> list[FormRule]:
    rules = []
    for bound, kind in ((cap.max, RuleKind.MAX), (cap.min, RuleKind.MIN)):
        if bound is not None:
            rules.append(FormRule(id=f"precaution_{cap.signal.value}_{kind}_{index}", kind=kind,
                                  signal=cap.signal, limit=bound, min_ms=100,
                                  severity=Severity.STOP, priority=1, cooldown_s=5.0,
                                  cue=cap.cue))
    return rules


def _compiled(r: FormRule, kind: RuleKind, probes: tuple[int, ...], *, mean: bool,
              side: str) -> CompiledRule:
    """``r`` compiled on the given probes (see :class:`CompiledRule`)."""
    return CompiledRule(rule_id=r.id, kind=kind, probes=probes, mean=mean, side=side,
                        limit=float(r.limit), upper=r.kind in (RuleKind.MAX, RuleKind.ASYMMETRY),
                        relative=r.reference == "rest", min_ms=r.min_ms, severity=r.severity,
                        priority=r.priority, cooldown_ms=int(r.cooldown_s * 1000), cue=r.cue)


def compile_rules(template: ExerciseTemplate) -> tuple[tuple[Probe, ...], tuple[CompiledRule, ...]]:
    """The template's form rules and precaution caps as probes and compiled rules."""
    probes: list[Probe] = []

    def probe(signal: AngleName | MeasureName, side: Side, cap: bool) -> int:
        image_only = (not cap and isinstance(signal, AngleName)
                      and signal.plane is not Plane.LIMB)
        p = Probe(signal, side, image_only)
        if p not in probes:
            probes.append(p)
        return probes.index(p)

    sides = {"left": (Side.LEFT,), "right": (Side.RIGHT,)}.get(template.side,
                                                                (Side.LEFT, Side.RIGHT))
    rules = [(r, False) for r in template.form]
    for i, cap in enumerate(template.precautions.rom_caps):
        rules.extend((r, True) for r in _rule_from_cap(cap, i))
    out: list[CompiledRule] = []
    for r, is_cap in rules:
        kind = r.kind
        if kind in (RuleKind.ROM, RuleKind.TEMPO):
            out.append(_compiled(r, kind, (), mean=False, side="both"))
            continue
        signal = r.signal
        assert signal is not None, "the template schema requires a signal on frame rules"
        if kind is RuleKind.ASYMMETRY:
            out.append(_compiled(r, kind, (probe(signal, Side.LEFT, is_cap),
                                           probe(signal, Side.RIGHT, is_cap)),
                                 mean=False, side="both"))
        elif r.side == "both":
            out.append(_compiled(r, kind, tuple(probe(signal, s, is_cap) for s in Side),
                                 mean=True, side="both"))
        else:
            chosen = sides if r.side == "each" else (Side(r.side),)
            for s in chosen:
                out.append(_compiled(r, kind, (probe(signal, s, is_cap),), mean=False,
                                     side=s.value))
    return tuple(probes), tuple(out)


class _Episode:
    """Debounce and worst value of one compiled frame rule."""

    __slots__ = ("pending_ms", "active", "onset_ms", "clear_ms", "last_bad_ms", "worst",
                 "rest", "rest_n", "smooth", "smooth_ms")

    def __init__(self) -> None:
        self.pending_ms = -1
        self.active = False
        self.onset_ms = 0
        self.clear_ms = -1
        self.last_bad_ms = 0
        self.worst = math.nan
        self.rest = 0.0
        self.rest_n = 0
        self.smooth = math.nan
        self.smooth_ms = -RULE_SMOOTH_GAP_MS - 1


class FormEngine:
    """Evaluates one template's compiled rules frame by frame and repetition by repetition."""

    def __init__(self, template: ExerciseTemplate) -> None:
        self.probes, self.rules = compile_rules(template)
        self._frame_rules = [(r, _Episode()) for r in self.rules
                             if r.kind in (RuleKind.MAX, RuleKind.MIN, RuleKind.ASYMMETRY)]
        self._rep_rules = [r for r in self.rules if r.kind in (RuleKind.ROM, RuleKind.TEMPO)]
        self.findings: list[FormFinding] = []
        self._values = [math.nan] * len(self.probes)

    def update(self, frame: FramePoints, ts: int, judging: bool, at_rest: bool,
               candidates: list[CueCandidate]) -> None:
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
            if rule.kind is RuleKind.ASYMMETRY:
                value = abs(values[pr[0]] - values[pr[1]])
            elif rule.mean:
                a, b = values[pr[0]], values[pr[1]]
                value = (a + b) * 0.5 if a == a and b == b else (a if a == a else b)
            else:
                value = values[pr[0]]
            if value == value:
                dt = ts - ep.smooth_ms
                if dt > RULE_SMOOTH_GAP_MS or ep.smooth != ep.smooth:
                    ep.smooth = value
                else:
                    ep.smooth += (1.0 - math.exp(-dt / RULE_SMOOTH_MS)) * (value - ep.smooth)
                    value = ep.smooth
                ep.smooth_ms = ts
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
              candidates: list[CueCandidate]) -> None:
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
                candidates.append(CueCandidate(rule.priority, rule.rule_id, rule.cooldown_ms, rule.cue))
            return
        if value != value:  # not measurable: no evidence either way
            if not ep.active and ep.pending_ms >= 0 and ts - ep.last_bad_ms > rule.min_ms:
                ep.pending_ms = -1
            return
        if not ep.active:
            ep.pending_ms = -1
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
                      candidates: list[CueCandidate],
                      peak_value: float | None = None) -> None:
        """Judge a counted repetition against the ``rom`` and ``tempo`` rules.

        ``peak_value``: the repetition's peak to judge ROM on (default: the counter's, the most
        extreme smoothed sample); the analyzer passes a peak sustained over a short window, so
        one noisy frame neither makes nor breaks a repetition's range.
        """
        for rule in self._rep_rules:
            if event.start_value != event.start_value:
                continue  # under way when counting began: its peak or start may be unseen
            if rule.kind is RuleKind.ROM:
                peak = event.peak_value if peak_value is None or peak_value != peak_value \
                    else peak_value
                short = peak < rule.limit if rising else peak > rule.limit
                if not short:
                    continue
                value, at = peak, event.peak_ms
            else:
                value = (event.end_ms - event.start_ms) / 1000.0
                if not value < rule.limit:
                    continue
                at = event.end_ms
            self.findings.append(FormFinding(rule.rule_id, rule.severity, at, at, value,
                                             rule.limit, side, rule.cue))
            candidates.append(CueCandidate(rule.priority, rule.rule_id, rule.cooldown_ms, rule.cue))

    def finish(self, ts: int) -> list[FormFinding]:
        """Close open episodes; all findings in time order."""
        for rule, ep in self._frame_rules:
            self._end(rule, ep, ts)
        return sorted(self.findings, key=lambda f: (f.time_ms, f.rule_id, f.side))
