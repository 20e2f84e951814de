"""The JSON session report written by ``hepvision track``.

Stable contract (other tools read it); fields may be added, never renamed or removed:

    exercise          template id
    reps              completed repetitions (int)
    rep_details       one object per repetition: start_ms, peak_ms, end_ms, rom_start_deg,
                      rom_peak_deg, rom_range_deg, concentric_ms, eccentric_ms, hold_ms, side
    partial_reps      excursions that did not count (too small, unfinished): an int;
                      ``partial_details`` lists them like ``rep_details``
    frames            frames processed
    frames_with_pose  frames in which a person was found
    duration_s        media duration covered by the frames
    processing_fps    frames processed per second of wall time
    versions          package version, model SHA-256s, template id and SHA-256
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hepvision import __version__
from hepvision.pose.types import BackendInfo, PoseResult
from hepvision.session.offline import StageTimings

REPORT_SCHEMA = "hepvision.track-report/1"


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Where the frames came from."""

    path: str
    kind: str
    fps: float
    width_px: int
    height_px: int


def build_report(
    *,
    exercise_id: str,
    template_sha256: str,
    analysis: dict[str, Any],
    results: tuple[PoseResult, ...],
    timings: StageTimings,
    backend: BackendInfo,
    source: SourceInfo,
    settings: dict[str, Any],
) -> dict[str, Any]:
    """The report for one run; ``analysis`` is ``ExerciseAnalysis.to_dict()``."""
    frames = len(results)
    with_pose = sum(1 for r in results if r.detected)
    duration_ms = results[-1].timestamp_ms - results[0].timestamp_ms if frames else 0
    if frames and source.fps > 0:
        duration_ms += int(round(1000.0 / source.fps))
    report: dict[str, Any] = {
        "schema": REPORT_SCHEMA,
        "exercise": exercise_id,
        "reps": int(analysis["reps"]),
        "rep_details": analysis["rep_details"],
        "partial_reps": int(analysis.get("partial_reps", 0)),
        "frames": frames,
        "frames_with_pose": with_pose,
        "duration_s": round(duration_ms / 1000.0, 3),
        "processing_fps": round(timings.pipeline_fps, 2),
        "stage_ms": timings.summary(),
        "source": {
            "path": source.path,
            "kind": source.kind,
            "fps": round(source.fps, 3),
            "width_px": source.width_px,
            "height_px": source.height_px,
        },
        "backend": backend.name,
        "versions": {
            "hepvision": __version__,
            "models": dict(sorted(backend.model_sha256.items())),
            "template": {"id": exercise_id, "sha256": template_sha256},
        },
        "settings": settings,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    for key, value in analysis.items():
        if key not in report and key not in ("reps", "rep_details"):
            report[key] = value
    return report


def json_ready(value: Any) -> Any:
    """``value`` with NaN and infinite floats replaced by ``None`` (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return value


def write_json(path: str | Path, payload: dict[str, Any]) -> Path:
    """Write JSON atomically (a temp file renamed into place), so a crash never leaves half."""
    out = Path(path)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(json_ready(payload), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    tmp.replace(out)
    return out
