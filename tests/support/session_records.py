"""A synthetic, valid session record: for documentation, tests and the load benchmark."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any


def example_session_record(*, session_id: uuid.UUID | None = None,
                           started_at: datetime | None = None, exercise_id: str = "squat",
                           angle_name: str = "knee_flexion", peaks_deg: tuple[float, ...] = (
                               88.0, 92.0, 95.0, 90.0, 93.0), sets: int = 2,
                           pain_before: int | None = 2, pain_after: int | None = 3,
                           prescription_version: int | None = None,
                           findings: int = 1) -> dict[str, Any]:
    """A JSON-ready session record dict: ``sets`` sets, one repetition per peak, and
    ``findings`` caution findings in the first set. Varying ``peaks_deg`` shapes ROM trends."""
    started_at = started_at or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    reps = [{"start_ms": 2000 * i, "peak_ms": 2000 * i + 800, "end_ms": 2000 * i + 1700,
             "rom_start_deg": 5.0, "rom_peak_deg": peak, "rom_range_deg": peak - 5.0,
             "concentric_ms": 800, "eccentric_ms": 900, "hold_ms": 0, "side": "both"}
            for i, peak in enumerate(peaks_deg)]
    set_list = [{
        "set_index": k, "reps": len(reps), "partial_reps": 0, "repetitions": reps,
        "holds": [],
        "findings": [{"rule_id": "knee_valgus", "severity": "caution", "time_ms": 800,
                      "rep_index": 0, "value": 12.0, "limit": 10.0,
                      "message": "knees move inward"}] * (findings if k == 0 else 0),
        "rest_s": 60.0} for k in range(sets)]
    duration_s = 120.0 * sets
    return {
        "schema_version": "1",
        "session_id": str(session_id or uuid.uuid4()),
        "prescription_version": prescription_version,
        "app_version": "0.1.0",
        "started_at": started_at.isoformat(),
        "ended_at": (started_at + timedelta(seconds=duration_s)).isoformat(),
        "duration_s": duration_s,
        "pain_before": pain_before,
        "pain_after": pain_after,
        "stopped_early": False,
        "stop_reason": None,
        "exercises": [{
            "exercise_id": exercise_id, "template_sha256": "a" * 64,
            "model_sha256": {"pose_landmarker_lite": "b" * 64}, "backend": "onnx",
            "view": "side", "side": "both", "angle_name": angle_name,
            "target_rom_deg": 100.0, "sets": set_list}],
    }
