"""One cue at a time, by priority, with a per-rule cooldown and a gap between any two cues."""

from __future__ import annotations

from dataclasses import dataclass

#: The least time between any two cues, so one is finished before the next begins.
DEFAULT_MIN_GAP_MS = 2500


@dataclass(frozen=True, slots=True, order=True)
class CueCandidate:
    """A cue a rule wants said in this frame; candidates sort most urgent first.

    Attributes:
        priority: 1 is the most urgent.
        rule_id: the form rule (cooldowns are per rule).
        cooldown_ms: the least time between two cues of this rule.
        text: what to say.
    """

    priority: int
    rule_id: str
    cooldown_ms: int
    text: str


class CueScheduler:
    """Picks at most one cue per frame from the rules that fired in it.

    A candidate is dropped, not queued, when it cannot be said now: a stale cue is worse than
    none. ``muted`` silences every cue (findings are still recorded).
    """

    __slots__ = ("min_gap_ms", "muted", "_last_any_ms", "_last_by_rule")

    def __init__(self, min_gap_ms: int = DEFAULT_MIN_GAP_MS, muted: bool = False) -> None:
        self.min_gap_ms = min_gap_ms
        self.muted = muted
        self._last_any_ms: int | None = None
        self._last_by_rule: dict[str, int] = {}

    def pick(self, now_ms: int, candidates: list[CueCandidate]) -> str | None:
        """The cue to say now, if any, from ``candidates``."""
        if not candidates or self.muted:
            return None
        if self._last_any_ms is not None and now_ms - self._last_any_ms < self.min_gap_ms:
            return None
        for c in sorted(candidates):
            last = self._last_by_rule.get(c.rule_id)
            if last is not None and now_ms - last < c.cooldown_ms:
                continue
            self._last_any_ms = now_ms
            self._last_by_rule[c.rule_id] = now_ms
            return c.text
        return None
