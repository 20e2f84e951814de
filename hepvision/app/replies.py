"""The JSON replies the patient page reads, built once for every way the page is served.

The page (``hepvision/phone/static``) is the same whether ``hepvision serve`` serves it to an
enrolled phone or ``hepvision app`` serves it on a laptop, and whether its poses come from the
browser (landmark frames) or from the local process (JPEG frames): the ``session``, ``result``
and ``summary`` replies of every path are built here. A path adds only what it alone knows
(``saved_to`` and the run's timings where the record is saved locally; ``latency_ms`` and
``pose_ms`` where the pose ran in this process).
"""

from __future__ import annotations

from typing import Any

from hepvision.analysis import FrameFeedback
from hepvision.app.protocol import landmarks_json, number
from hepvision.live.flow import ExercisePlan
from hepvision.pose.types import POSE_CONNECTIONS, PoseResult
from hepvision.session.record import ExerciseRecord, SessionRecord
from hepvision.templates import (
    AngleCounter,
    DistanceCounter,
    ExerciseTemplate,
    MeasureCounter,
)

NOBODY_IN_VIEW = "Nobody in view: step back until your whole body is in the picture"

Reply = dict[str, Any]


def describe_plan(plan: ExercisePlan) -> dict[str, Any]:
    """What the page shows of a plan: dosage, instructions, its camera set-up and its ROM
    gauge."""
    t = plan.template
    return {
        "id": t.id,
        "name": t.name,
        "instructions": t.instructions,
        "view": t.view,
        "sets": plan.sets,
        "reps": plan.reps,
        "hold_s": plan.hold_s,
        "rest_s": plan.rest_s,
        "pain_stop_nrs": plan.pain_stop_nrs,
        "signal": t.signal_name,
        "unit": t.signal_unit,
        "gauge": gauge(t),
        "camera": camera_setup(t),
    }


def gauge(template: ExerciseTemplate) -> dict[str, float | None] | None:
    """The counted signal's rest level, the level a repetition must pass (``turn``) and the
    target ROM (None when the template has none); None for a timed hold."""
    c = template.counter
    if isinstance(c, AngleCounter):
        start, turn = c.start_deg, c.turn_deg
    elif isinstance(c, DistanceCounter):
        start, turn = c.start_ratio, c.turn_ratio
    elif isinstance(c, MeasureCounter):
        start, turn = c.start, c.turn
    else:
        return None
    return {"start": start, "turn": turn, "target": template.target.rom}


def camera_setup(template: ExerciseTemplate) -> dict[str, str]:
    """The template's camera requirements, as the set-up guidance shows them."""
    cam = template.camera
    framing = {"full_body": "your whole body, head to feet", "upper_body":
               "your head, arms and hips", "lower_body": "your hips, legs and feet"}
    view = {"front": "Face the camera.", "side": "Turn sideways to the camera.",
            "any": "Face the camera or stand sideways."}
    return {"view": template.view.value, "distance": cam.distance.value,
            "text": f"{view.get(template.view.value, '')} Put the camera so that it sees "
                    f"{framing.get(cam.distance.value, 'you')}"
                    f"{', ' + cam.distance_hint if cam.distance_hint else ''}.".strip()}


def session_reply(session_id: str, plans: tuple[ExercisePlan, ...], status: dict[str, Any],
                  received: int) -> Reply:
    """The answer to the page's ``hello``: plans, skeleton edges, status and the last message
    ``seq`` applied (the page resends what follows it)."""
    return {"type": "session", "session_id": session_id, "received": received,
            "plans": [describe_plan(p) for p in plans],
            "connections": [list(c) for c in POSE_CONNECTIONS], "status": status}


def result_reply(seq: int, t_ms: float, pose: PoseResult, fb: FrameFeedback,
                 status: dict[str, Any], **extra: Any) -> Reply:
    """The feedback on one frame: landmarks (33 x [x, y, visibility] or None), count, signal,
    state, view, set-up message (nobody in view says so), cue, hold, the flow's status."""
    setup = fb.setup_message
    if setup is None and not pose.detected:
        setup = NOBODY_IN_VIEW
    return {"type": "result", "seq": seq, "t_ms": t_ms,
            "landmarks": landmarks_json(pose.landmarks, pose.detected),
            "reps": fb.reps + fb.pending, "signal_value": number(fb.signal_value, 1),
            "signal_unit": fb.signal_unit, "state": fb.state, "view": fb.view,
            "setup_message": setup, "cue": fb.cue, "hold_s": number(fb.hold_s, 1),
            "status": status, **extra}


def summary_reply(record: SessionRecord, status: dict[str, Any], **extra: Any) -> Reply:
    """The end of the session: reps per set, ROM per repetition, best ROM, pain."""
    return {"type": "summary", "session_id": str(record.session_id),
            "total_reps": record.total_reps, "pain_before": record.pain_before,
            "pain_after": record.pain_after, "stopped_early": record.stopped_early,
            "stop_reason": record.stop_reason,
            "exercises": [exercise_summary(e) for e in record.exercises],
            "status": status, **extra}


def exercise_summary(exercise: ExerciseRecord) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    ranges: list[float] = []
    peaks: list[float] = []
    for s in exercise.sets:
        reps = s.analysis.rep_details
        rom = [number(r.rom_range_deg, 1) for r in reps]
        peak = [number(r.rom_peak_deg, 1) for r in reps]
        ranges += [v for v in rom if v is not None]
        peaks += [v for v in peak if v is not None]
        rows.append({"set": s.set_index + 1, "reps": s.analysis.reps,
                     "partial_reps": s.analysis.partial_reps, "ended_by": s.ended_by.value,
                     "rom": rom, "peak": peak})
    template = exercise.template
    return {"id": template.id, "name": template.name, "signal": template.signal_name,
            "unit": exercise.sets[0].analysis.signal_unit, "sets": rows,
            "best_rom": max(ranges) if ranges else None,
            "best_peak": max(peaks, key=abs) if peaks else None}


def error(message: str, **extra: Any) -> Reply:
    return {"type": "error", "message": message, **extra}
