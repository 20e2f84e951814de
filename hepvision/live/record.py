"""The session record a live session saves (and the upload issue sends).

The saved JSON is the wire :class:`~hepvision.wire.session.SessionRecord` (validated) plus a
few local fields a kiosk or a test reads directly: ``reps`` (total counted, as in ``track``),
``processed_fps``, ``dropped_frames``, ``latency_ms_median``, ``latency_ms_p95``,
``processed_frames``. The upload sends only the wire fields.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hepvision import __version__
from hepvision.live.engine import LiveStats
from hepvision.live.flow import SessionFlow
from hepvision.pose.types import BackendInfo
from hepvision.wire.session import SessionRecord, wire_view
from hepvision.wire.track import wire_finding, wire_repetition

LOCAL_FIELDS = ("reps", "processed_fps", "dropped_frames", "latency_ms_median",
                "latency_ms_p95", "processed_frames")


def _wire_side(side: str | None) -> str | None:
    if side in ("left", "right", "both"):
        return side
    return None if side is None else "both"


def build_session_record(flow: SessionFlow, backend: BackendInfo, stats: LiveStats,
                         *, prescription_version: int | None = None) -> dict[str, Any]:
    """The saved session: wire fields validated by ``SessionRecord``, then local metrics."""
    exercises: list[dict[str, Any]] = []
    for index, plan in enumerate(flow.plans):
        sets = [s for s in flow.finished if s.exercise_index == index]
        if not sets:
            continue
        template = plan.template
        set_rows = []
        views = []
        for s in sets:
            a = s.analysis
            views.append(a.view)
            findings = [f for f in getattr(a, "findings", ()) or ()]
            set_rows.append({
                "set_index": s.set_index,
                "reps": a.reps,
                "partial_reps": a.partial_reps,
                "repetitions": [wire_repetition(r.to_dict()) for r in a.rep_details],
                "holds": [],
                "findings": [wire_finding(f if isinstance(f, dict) else f.to_dict())
                             for f in findings],
                "rest_s": s.rest_s,
            })
        exercises.append({
            "exercise_id": template.id,
            "template_sha256": template.content_sha256 or None,
            "model_sha256": dict(backend.model_sha256),
            "backend": backend.name,
            "view": wire_view(max(set(views), key=views.count)) if views else "unknown",
            "side": _wire_side(template.side),
            "angle_name": template.signal_name,
            "target_rom_deg": None,
            "sets": set_rows,
        })
    ended = flow.ended_at or datetime.now(UTC)
    wire = {
        "schema_version": "1",
        "session_id": str(flow.session_id),
        "prescription_version": prescription_version,
        "app_version": __version__,
        "started_at": flow.started_at.isoformat(),
        "ended_at": ended.isoformat(),
        "duration_s": round((ended - flow.started_at).total_seconds(), 3),
        "pain_before": flow.pain_before,
        "pain_after": flow.pain_after,
        "stopped_early": flow.stopped_early,
        "stop_reason": flow.stop_reason,
        "exercises": exercises,
    }
    # Validated also with no exercise: a session stopped (for pain) before any set is a session.
    record = SessionRecord.model_validate(wire).model_dump(mode="json")
    record.update({"reps": flow.total_reps(), **stats.to_dict()})
    return record


def wire_part(saved: dict[str, Any]) -> dict[str, Any]:
    """The upload's part of a saved session record (local metrics removed)."""
    return {k: v for k, v in saved.items() if k not in LOCAL_FIELDS}
