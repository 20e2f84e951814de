"""The JSON session report written by ``hepvision track``, from the typed session record.

Stable contract (other tools read it); fields may be added, never renamed or removed:

    exercise          template id
    reps              completed repetitions (int)
    rep_details       one object per repetition: start_ms, peak_ms, end_ms, rom_start_deg,
                      rom_peak_deg, rom_range_deg, concentric_ms, eccentric_ms, hold_ms, side
                      (and sides, source, confidence: per-side ROM and how it was measured)
    partial_reps      excursions that did not count (too small, unfinished): an int;
                      ``partial_details`` lists them like ``rep_details``
    frames            frames processed
    frames_with_pose  frames in which a person was found
    duration_s        media duration covered by the frames
    processing_fps    frames processed per second of wall time
    cpu               CPU ms per frame by stage, cores, resident memory (null under 2 frames)
    pose_model        landmark model variant, threads and how they were chosen (null: none)
    versions          package version, model SHA-256s, template id and SHA-256
    session_id        the session's id (the upload record's, when it is queued)
    prescription_version  the therapist's prescription version it followed, or null
    neutral           only when a neutral capture set one (issue 13): the patient's neutral
                      reading of the counted signal; each of ``rep_details`` then also has
                      ``rom_peak_from_neutral``, its peak relative to that neutral
"""

from __future__ import annotations

import json
import math
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hepvision.session.record import SessionRecord, SourceInfo

REPORT_SCHEMA = "hepvision.track-report/1"

__all__ = ["REPORT_SCHEMA", "SourceInfo", "json_ready", "track_report", "write_json"]


def track_report(record: SessionRecord) -> dict[str, Any]:
    """The ``track`` report of a one-exercise, one-set record read from a clip.

    Raises:
        ValueError: the record is not one set of one exercise, or has no media.
    """
    if len(record.exercises) != 1 or len(record.exercises[0].sets) != 1 \
            or record.media is None:
        raise ValueError("a track report covers one set of one exercise read from a clip")
    exercise = record.exercises[0]
    analysis = exercise.sets[0].analysis.to_dict()
    media, ctx, timings = record.media, record.context, record.timings
    source = media.source
    report: dict[str, Any] = {
        "schema": REPORT_SCHEMA,
        "exercise": exercise.exercise_id,
        "reps": int(analysis["reps"]),
        "rep_details": analysis["rep_details"],
        "partial_reps": int(analysis["partial_reps"]),
        "frames": media.frames,
        "frames_with_pose": media.frames_with_pose,
        "duration_s": round(media.duration_ms / 1000.0, 3),
        "processing_fps": round(timings.processing_fps, 2),
        "stage_ms": timings.stages.summary() if timings.stages is not None else {},
        "cpu": timings.cpu.to_dict() if timings.cpu is not None else None,
        "pose_model": ctx.pose_model.to_dict() if ctx.pose_model is not None else None,
        "source": {"path": source.path, "kind": source.kind, "fps": round(source.fps, 3),
                   "width_px": source.width_px, "height_px": source.height_px},
        "backend": ctx.backend,
        "versions": {
            "hepvision": ctx.app_version,
            "models": dict(sorted(ctx.model_sha256.items())),
            "template": {"id": exercise.exercise_id,
                         "sha256": exercise.template.content_sha256},
        },
        "settings": {"backend": ctx.backend, "max_frames": ctx.max_frames,
                     "threaded_decode": ctx.threaded_decode},
        "session_id": str(record.session_id),
        "prescription_version": ctx.prescription_version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    for key, value in analysis.items():
        if key not in report:
            report[key] = value
    neutral = exercise.template.target.neutral
    if neutral is not None:
        report["neutral"] = neutral
        for rep in report["rep_details"]:
            peak = rep.get("rom_peak_deg")
            rep["rom_peak_from_neutral"] = (round(peak - neutral, 2) if isinstance(peak, float)
                                            and math.isfinite(peak) else None)
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
    tmp.write_text(json.dumps(json_ready(payload), indent=2, allow_nan=False) + "\n",
                   encoding="utf-8")
    tmp.replace(out)
    return out
