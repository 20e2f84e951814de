"""Build a :class:`SessionRecord` from the JSON report of ``hepvision track``.

A track report covers one exercise recorded in one go, so it becomes one exercise with one set.
Keys read (see ``hepvision.session.report``): ``exercise``, ``reps``, ``rep_details``,
``partial_reps``, ``duration_s``, ``backend``, ``versions`` and, when present, ``angle_name``,
``view``, ``side`` and ``findings``. Unknown report keys are ignored; the record itself is
validated strictly.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from hepvision.wire.session import Finding, Repetition, SessionRecord

_REP_KEYS = tuple(Repetition.model_fields)
_FINDING_KEYS = tuple(Finding.model_fields)


def _clean(value: Any) -> Any:
    """JSON-ready: NaN/inf become None, so an unmeasurable ROM is null, not an error."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _ms(value: Any) -> Any:
    value = _clean(value)
    return int(round(value)) if isinstance(value, float) else value


def wire_repetition(detail: Mapping[str, Any]) -> dict[str, Any]:
    """A repetition dict (``rep_details`` entry) reduced to the wire's keys and types."""
    rep = {k: _clean(detail.get(k)) for k in _REP_KEYS if k in detail}
    for key in ("start_ms", "peak_ms", "end_ms", "concentric_ms", "eccentric_ms", "hold_ms"):
        if key in rep:
            rep[key] = _ms(rep[key])
    return rep


def wire_finding(finding: Mapping[str, Any]) -> dict[str, Any]:
    """A form finding dict reduced to the wire's keys."""
    return {k: _clean(finding.get(k)) for k in _FINDING_KEYS if k in finding}


def session_record_from_track_report(
    report: Mapping[str, Any],
    *,
    started_at: datetime,
    session_id: uuid.UUID | None = None,
    prescription_version: int | None = None,
    angle_name: str | None = None,
    view: str | None = None,
    side: str | None = None,
    target_rom_deg: float | None = None,
    pain_before: int | None = None,
    pain_after: int | None = None,
    stopped_early: bool = False,
    stop_reason: str | None = None,
) -> SessionRecord:
    """One session record (one exercise, one set) from a ``track`` report.

    ``started_at`` must be timezone-aware; ``ended_at`` is ``started_at + duration_s``. A new
    random ``session_id`` is made when none is given: keep the returned record's id if the same
    session may be enqueued again. Raises ``pydantic.ValidationError`` for a report whose values
    break the schema (e.g. no angle name known).
    """
    versions = report.get("versions") or {}
    template = versions.get("template") or {}
    duration_s = float(_clean(report.get("duration_s")) or 0.0)
    partial = report.get("partial_reps", 0)
    findings = [wire_finding(f) for f in report.get("findings") or []
                if isinstance(f, Mapping)]
    exercise: dict[str, Any] = {
        "exercise_id": report.get("exercise") or template.get("id"),
        "template_sha256": template.get("sha256"),
        "model_sha256": dict(versions.get("models") or {}),
        "backend": str(report.get("backend") or ""),
        "view": view or report.get("view") or "unknown",
        "side": side if side is not None else report.get("side"),
        "angle_name": angle_name or report.get("angle_name") or report.get("angle"),
        "target_rom_deg": target_rom_deg,
        "sets": [{
            "set_index": 0,
            "reps": int(report.get("reps") or 0),
            "partial_reps": len(partial) if isinstance(partial, list) else int(partial or 0),
            "repetitions": [wire_repetition(d) for d in report.get("rep_details") or []],
            "findings": findings,
        }],
    }
    return SessionRecord.model_validate({
        "session_id": session_id or uuid.uuid4(),
        "prescription_version": prescription_version,
        "app_version": str(versions.get("hepvision") or "unknown"),
        "started_at": started_at,
        "ended_at": started_at + timedelta(seconds=duration_s),
        "duration_s": duration_s,
        "pain_before": pain_before,
        "pain_after": pain_after,
        "stopped_early": stopped_early,
        "stop_reason": stop_reason,
        "exercises": [exercise],
    })
