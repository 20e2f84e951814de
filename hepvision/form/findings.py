"""The record of one form finding."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hepvision.vocabulary import Severity


@dataclass(frozen=True, slots=True)
class FormFinding:
    """One rule broken once (one debounced episode, or one repetition for rep-level rules).

    Attributes:
        rule_id, severity: from the template (``info``, ``caution``, ``stop``).
        time_ms: when the episode began (rep-level rules: the peak for ``rom``, the end of the
            repetition for ``tempo``).
        end_ms: when it ended (equal to ``time_ms`` for rep-level rules).
        value: the worst value in the episode, in the rule's unit (degrees, ratio, or seconds
            for tempo; for ``reference = "rest"`` rules, the change from rest).
        limit: the rule's limit, same unit.
        side: ``left``, ``right`` or ``both``.
        message: the cue text.
        rep_index: index into the analysis' ``rep_details`` of the repetition it occurred in,
            or None (between repetitions, or a hold).
    """

    rule_id: str
    severity: Severity
    time_ms: int
    end_ms: int
    value: float
    limit: float
    side: str
    message: str
    rep_index: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "severity": self.severity, "time_ms": self.time_ms,
                "end_ms": self.end_ms, "rep_index": self.rep_index,
                "value": round(self.value, 3) if math.isfinite(self.value) else None,
                "limit": self.limit, "side": self.side, "message": self.message}
