"""FHIR R4 Observations of one exercise session: one function per kind of Observation.

Per session (all ``final``, subject the Patient, device the app version that recorded it,
``basedOn`` the CarePlan of the prescription version followed):

- the session: LOINC 55411-3 "Exercise duration" (UCUM ``min``), identifier = the session id,
  ``hasMember`` the exercises performed and the pain ratings; a ``stopped-early`` component;
- per exercise, the exercise performed: LOINC 73985-4 "Exercise activity", value = the exercise
  (local ``exercise`` code), ``basedOn`` its ServiceRequest, ``hasMember`` the three below;
- repetitions: local ``repetitions`` (valueInteger), components sets, partial repetitions, hold;
- range of motion, for exercises measured as a joint angle: local ``rom`` code of the angle,
  ``bodySite`` the joint with laterality, ``method`` video pose estimation, value = the
  session's highest peak (UCUM ``deg``), components start / peak / arc of that repetition and
  the median peak; one more per side when the record carries per-side ROM (``sides``);
- form findings (when there are any): local ``form-findings``, counts by severity and by rule;
- pain before / after: LOINC 72514-3 (0-10 numeric rating, valueInteger) with a local coding
  naming which one, at the session's start / end.

Values come from the database rows the dashboard reads (``sessions``, ``session_exercises``);
only what those rows do not keep (the best repetition's start and arc, per-side ROM, view and
backend) is read from the stored session record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hepvision.server.fhir import codes
from hepvision.server.fhir.codes import Code
from hepvision.server.fhir.resources import Ids, exercise_code, instant
from hepvision.server.models import ExerciseSession, SessionExercise
from hepvision.vocabulary import AngleName
from hepvision.wire.session import ExerciseRecord, SessionRecord

_ANGLES = {a.value: a for a in AngleName}


@dataclass(frozen=True, slots=True)
class SessionContext:
    """What every Observation of the patient's sessions refers to.

    ``requests``: the position of each (prescription version, exercise id) among its
    version's ServiceRequests; ``careplans``: the versions that exist.
    """

    ids: Ids
    patient_id: int
    names: Mapping[str, str]
    requests: Mapping[tuple[int, str], int]
    careplans: frozenset[int]


@dataclass(frozen=True, slots=True)
class _Peak:
    start_deg: float | None
    peak_deg: float
    range_deg: float | None


def session_observations(ctx: SessionContext, row: ExerciseSession,
                         summaries: list[SessionExercise],
                         record: SessionRecord) -> list[dict[str, Any]]:
    """Every Observation of one session, the session's own first."""
    members: list[dict[str, Any]] = []
    for summary, exercise in zip(summaries, record.exercises, strict=True):
        members.extend(_exercise_observations(ctx, row, summary, exercise))
    for when in ("before", "after"):
        value = row.pain_before if when == "before" else row.pain_after
        if value is not None:
            members.append(_pain(ctx, row, when, value))
    top = [m for m in members if m["_top"]]
    session = _base(ctx, row, ("session",), codes.EXERCISE_DURATION.concept(),
                    ("activity", "therapy"))
    session["identifier"] = [{"system": codes.SESSION_ID_SYSTEM, "value": str(row.id)}]
    session["valueQuantity"] = codes.ucum(round(row.duration_s / 60.0, 3), "min")
    session["component"] = [{"code": codes.local("stopped-early").concept(), "valueBoolean": row.stopped_early}]
    if record.stop_reason:
        session["note"] = [{"text": f"Stopped early: {record.stop_reason}"}]
    session["hasMember"] = [{"reference": f"urn:uuid:{m['id']}"} for m in top]
    for m in (session, *members):
        del m["_top"]
    return [session, *members]


def _base(ctx: SessionContext, row: ExerciseSession, key: tuple[object, ...],
          code: dict[str, Any], categories: tuple[str, ...], *,
          top: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "Observation", "id": ctx.ids.id("observation", row.id, *key),
        "status": "final", "category": codes.category(*categories), "code": code,
        "subject": ctx.ids.ref("patient", ctx.patient_id),
        "effectivePeriod": {"start": instant(row.started_at), "end": instant(row.ended_at)},
        "issued": instant(row.received_at),
        "device": ctx.ids.ref("device", ctx.patient_id, row.app_version), "_top": top}
    version = row.prescription_version
    if version is not None and version in ctx.careplans:
        out["basedOn"] = [ctx.ids.ref("careplan", ctx.patient_id, version)]
    return out


def _exercise_observations(ctx: SessionContext, row: ExerciseSession,
                           summary: SessionExercise,
                           exercise: ExerciseRecord) -> list[dict[str, Any]]:
    pos = summary.position
    parts = [_repetitions(ctx, row, summary)]
    angle = _ANGLES.get(summary.angle_name)
    if angle is not None and summary.rom_best_deg is not None:
        parts.append(_rom(ctx, row, summary, exercise, angle, summary.side,
                          _best(exercise, None), per_side=False))
        for side in ("left", "right"):
            best = _best(exercise, side)
            if best is not None and side != summary.side:
                parts.append(_rom(ctx, row, summary, exercise, angle, side, best,
                                  per_side=True))
    if summary.findings_info + summary.findings_caution + summary.findings_stop:
        parts.append(_findings(ctx, row, summary))
    performed = _base(ctx, row, ("activity", pos), codes.EXERCISE_ACTIVITY.concept(),
                      ("activity", "therapy"), top=True)
    performed["valueCodeableConcept"] = exercise_code(summary.exercise_id, ctx.names).concept()
    request = ctx.requests.get((row.prescription_version or 0, summary.exercise_id))
    if request is not None:
        performed["basedOn"] = [ctx.ids.ref("servicerequest", ctx.patient_id,
                                            row.prescription_version, request)]
    performed["hasMember"] = [{"reference": f"urn:uuid:{p['id']}"} for p in parts]
    return [performed, *parts]


def _int_component(code: Code, value: int) -> dict[str, Any]:
    return {"code": code.concept(), "valueInteger": value}


def _repetitions(ctx: SessionContext, row: ExerciseSession,
                 summary: SessionExercise) -> dict[str, Any]:
    obs = _base(ctx, row, ("repetitions", summary.position),
                codes.local("repetitions").concept(), ("activity", "therapy"))
    obs["valueInteger"] = summary.reps_done
    obs["component"] = [
        _int_component(codes.local("sets"), summary.sets_done),
        _int_component(codes.local("partial-repetitions"), summary.partial_reps),
        {"code": codes.local("hold-duration").concept(),
         "valueQuantity": codes.ucum(summary.hold_s, "s")}]
    return obs


def _best(exercise: ExerciseRecord, side: str | None) -> _Peak | None:
    """The repetition with the highest peak: of the record (``side`` None) or of one side's
    own readings (per-side ROM, where the side moved)."""
    peaks: list[_Peak] = []
    for rep in (r for s in exercise.sets for r in s.repetitions):
        if side is None and rep.rom_peak_deg is not None:
            peaks.append(_Peak(rep.rom_start_deg, rep.rom_peak_deg, rep.rom_range_deg))
        for reading in rep.sides if side is not None else ():
            if reading.side == side and reading.moved and reading.peak_deg is not None:
                peaks.append(_Peak(reading.start_deg, reading.peak_deg, reading.range_deg))
    return max(peaks, key=lambda p: p.peak_deg) if peaks else None


def _rom(ctx: SessionContext, row: ExerciseSession, summary: SessionExercise,
         exercise: ExerciseRecord, angle: AngleName, side: str | None,
         best: _Peak | None, *, per_side: bool) -> dict[str, Any]:
    """ROM of the exercise's joint: the record's (``side`` = the exercise's side, value = the
    database's best peak) or one side's own (``per_side``: value = that side's best peak)."""
    key = ("rom", summary.position, side if per_side else "exercise")
    obs = _base(ctx, row, key, codes.rom_code(angle).concept(), ("therapy",))
    obs["bodySite"] = codes.body_site(angle, side)
    obs["method"] = codes.local("video-pose-estimation").concept(
        f"Video pose estimation, {exercise.view} view, {exercise.backend or 'unknown'} backend")
    peak = best.peak_deg if per_side and best is not None else summary.rom_best_deg
    assert peak is not None
    obs["valueQuantity"] = codes.ucum(peak, "deg")
    components = []
    if best is not None and best.start_deg is not None:
        components.append(("rom-start", best.start_deg))
    components.append(("rom-peak", peak))
    if best is not None and best.range_deg is not None:
        components.append(("rom-range", best.range_deg))
    if not per_side and summary.rom_median_deg is not None:
        components.append(("rom-peak-median", summary.rom_median_deg))
    obs["component"] = [{"code": codes.local(c).concept(), "valueQuantity": codes.ucum(v, "deg")}
                        for c, v in components]
    return obs


def _findings(ctx: SessionContext, row: ExerciseSession,
              summary: SessionExercise) -> dict[str, Any]:
    obs = _base(ctx, row, ("findings", summary.position),
                codes.local("form-findings").concept(), ("therapy",))
    counts = {"findings-info": summary.findings_info,
              "findings-caution": summary.findings_caution,
              "findings-stop": summary.findings_stop}
    obs["valueInteger"] = sum(counts.values())
    obs["component"] = [_int_component(codes.local(c), n) for c, n in counts.items()] + [
        _int_component(Code(codes.FORM_RULE_SYSTEM, rule, rule.replace("_", " ")), n)
        for rule, n in sorted(summary.findings_by_rule.items())]
    return obs


def _pain(ctx: SessionContext, row: ExerciseSession, when: str, value: int) -> dict[str, Any]:
    which = codes.local(f"pain-{when}-session")
    code = {"coding": [codes.PAIN_NRS.coding(), which.coding()], "text": which.display}
    obs = _base(ctx, row, ("pain", when), code, ("survey",), top=True)
    del obs["effectivePeriod"]
    obs["effectiveDateTime"] = instant(row.started_at if when == "before" else row.ended_at)
    obs["valueInteger"] = value
    return obs
