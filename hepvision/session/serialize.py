"""What leaves the machine, derived from the typed :class:`SessionRecord`, one function each.

- :func:`upload_record`: the wire record a device uploads
  (:class:`hepvision.wire.session.SessionRecord`, validated). ``track``, ``live`` and ``app``
  all upload through it, so one template and one clip give one upload, field for field,
  whichever command ran it (only ids, times and speed differ).
- :func:`saved_session`: the JSON a live session saves (``live``, ``app``): the upload record's
  fields plus the local figures in :data:`LOCAL_FIELDS`.
- The ``track`` report: :func:`hepvision.session.report.track_report`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hepvision.analysis.records import CountCheck, Repetition, SideRom
from hepvision.form.findings import FormFinding
from hepvision.session.record import ExerciseRecord, SessionRecord, SetRecord, finite_or_none
from hepvision.vocabulary import TemplateSide, Unit
from hepvision.wire import session as wire

#: Local figures a saved live session adds to the upload record (never uploaded).
LOCAL_FIELDS = ("reps", "processed_fps", "dropped_frames", "latency_ms_median",
                "latency_ms_p95", "processed_frames", "cpu", "pose_model")

_SIDES: dict[str, wire.Side] = {"left": "left", "right": "right", "both": "both"}
_SOURCES: dict[str, wire.ReadingSource] = {"image": "image", "world": "world",
                                           "mixed": "mixed", "none": "none"}
_CONFIDENCE: dict[str, wire.CountConfidence] = {"high": "high", "medium": "medium",
                                                "low": "low"}
_CONFIDENCE_RANK = {"high": 2, "medium": 1, "low": 0}


def upload_record(record: SessionRecord) -> wire.SessionRecord:
    """The upload record of ``record`` (raises ``pydantic.ValidationError`` for a record
    outside the wire's bounds, e.g. a set of over 200 repetitions)."""
    ctx = record.context
    return wire.SessionRecord(
        session_id=record.session_id, prescription_version=ctx.prescription_version,
        app_version=ctx.app_version, started_at=record.started_at, ended_at=record.ended_at,
        duration_s=round(record.duration_s, 3), pain_before=record.pain_before,
        pain_after=record.pain_after, stopped_early=record.stopped_early,
        stop_reason=record.stop_reason,
        exercises=[_exercise(e, record) for e in record.exercises])


def saved_session(record: SessionRecord) -> dict[str, Any]:
    """The JSON a live session saves: the upload record plus :data:`LOCAL_FIELDS`."""
    saved = upload_record(record).model_dump(mode="json")
    t = record.timings
    saved.update({
        "reps": record.total_reps,
        "processed_frames": t.processed_frames,
        "processed_fps": round(t.processing_fps, 2),
        "dropped_frames": t.dropped_frames,
        "latency_ms_median": round(t.latency_ms_median, 2),
        "latency_ms_p95": round(t.latency_ms_p95, 2),
        "cpu": t.cpu.to_dict() if t.cpu is not None else None,
        "pose_model": (record.context.pose_model.to_dict()
                       if record.context.pose_model is not None else None),
    })
    return saved


def wire_part(saved: dict[str, Any]) -> dict[str, Any]:
    """The upload's part of a saved session (its local figures removed)."""
    return {k: v for k, v in saved.items() if k not in LOCAL_FIELDS}


def exercise_side(exercise: ExerciseRecord) -> wire.Side:
    """The side an exercise worked: the template's (after overrides) for ``left``, ``right``
    and ``both``; ``both`` for ``alternating``; for ``either``, the one side every repetition
    worked, else ``both``."""
    side = TemplateSide(exercise.template.side)
    if side is TemplateSide.EITHER:
        worked = {r.side for r in exercise.repetitions}
        return _SIDES[worked.pop()] if len(worked) == 1 and worked <= {"left", "right"} \
            else "both"
    return _SIDES.get(side.value, "both")


def _exercise(exercise: ExerciseRecord, record: SessionRecord) -> wire.ExerciseRecord:
    template = exercise.template
    base = template.base_sha256 or template.content_sha256
    return wire.ExerciseRecord(
        exercise_id=template.id, template_sha256=template.content_sha256 or None,
        model_sha256=dict(record.context.model_sha256), backend=record.context.backend,
        view=wire.wire_view(exercise.view), side=exercise_side(exercise),
        angle_name=template.signal_name, target_rom_deg=template.target.rom,
        neutral_deg=template.target.neutral if template.signal_unit is Unit.DEG else None,
        sets=[_set(s) for s in exercise.sets], template_base_sha256=base or None,
        overrides_sha256=template.overrides_sha256 or None,
        count_check=_sum_checks([s.analysis.count_check for s in exercise.sets]))


def _set(s: SetRecord) -> wire.SetRecord:
    a = s.analysis
    return wire.SetRecord(
        set_index=s.set_index, reps=a.reps, partial_reps=a.partial_reps,
        repetitions=[_repetition(r) for r in a.rep_details],
        findings=[_finding(f) for f in a.findings], rest_s=s.rest_s,
        count_check=_count_check(a.count_check) if a.count_check is not None else None)


def _repetition(r: Repetition) -> wire.Repetition:
    return wire.Repetition(
        start_ms=r.start_ms, peak_ms=r.peak_ms, end_ms=r.end_ms,
        rom_start_deg=_deg(r.rom_start_deg), rom_peak_deg=_deg(r.rom_peak_deg),
        rom_range_deg=_deg(r.rom_range_deg), concentric_ms=r.concentric_ms,
        eccentric_ms=r.eccentric_ms, hold_ms=r.hold_ms, side=_SIDES.get(r.side, "both"),
        sides=[_side_rom(s) for s in r.sides], source=_SOURCES[r.source],
        confidence=_share(r.confidence),
        counted_by="template_free" if r.counted_by == "template_free" else "template")


def _side_rom(s: SideRom) -> wire.SideRom:
    return wire.SideRom(
        side="left" if s.side == "left" else "right", start_deg=_deg(s.start_deg),
        peak_deg=_deg(s.peak_deg), range_deg=_deg(s.range_deg), moved=s.moved,
        source=_SOURCES[s.source], confidence=_share(s.confidence),
        measured_share=_share(s.measured_share))


def _finding(f: FormFinding) -> wire.Finding:
    return wire.Finding(rule_id=f.rule_id, severity=f.severity, time_ms=f.time_ms,
                        rep_index=f.rep_index, value=finite_or_none(f.value),
                        limit=finite_or_none(f.limit), message=f.message)


def _count_check(c: CountCheck) -> wire.CountCheck:
    return wire.CountCheck(
        template_reps=c.template_reps, template_free_reps=c.template_free_reps,
        template_free_signal=c.template_free_signal,
        count_confidence=_CONFIDENCE[c.count_confidence],
        measured_share=_share(c.measured_share) or 0.0,
        notes=list(c.notes)[:wire.MAX_NOTES],
        count_method="template_free" if c.count_method == "template_free" else "template")


def _sum_checks(checks: Sequence[CountCheck | None]) -> wire.CountCheck | None:
    """The exercise's count check: the sets' counts added, the least confident set's
    confidence, the mean measured share, the notes once each (None without any check)."""
    done = [c for c in checks if c is not None]
    if not done:
        return None
    notes = list(dict.fromkeys(n for c in done for n in c.notes))
    worst = min(done, key=lambda c: _CONFIDENCE_RANK[c.count_confidence])
    signals = {c.template_free_signal for c in done}
    return wire.CountCheck(
        template_reps=sum(c.template_reps for c in done),
        template_free_reps=sum(c.template_free_reps for c in done),
        template_free_signal=signals.pop() if len(signals) == 1 else "",
        count_confidence=_CONFIDENCE[worst.count_confidence],
        measured_share=round(sum(c.measured_share for c in done) / len(done), 3),
        notes=notes[:wire.MAX_NOTES],
        count_method="template_free" if any(c.count_method == "template_free" for c in done)
        else "template")


def _deg(value: float) -> float | None:
    """A measured angle (or ratio) rounded to 0.01, None when not measured."""
    finite = finite_or_none(value)
    return None if finite is None else round(finite, 2)


def _share(value: float) -> float | None:
    finite = finite_or_none(value)
    return None if finite is None else min(1.0, max(0.0, round(finite, 3)))
