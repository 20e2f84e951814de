"""One browser session: the page's messages in, the pipeline's replies out.

:class:`BrowserSession` holds a :class:`~hepvision.live.flow.SessionFlow` and a
:class:`~hepvision.live.engine.LiveEngine` for one WebSocket. It knows nothing about
WebSockets: it takes decoded messages and returns the replies, so it is tested directly.
Pose work (model loading, JPEG decoding, pose and analysis) runs on one worker thread per
session, so the event loop stays responsive and a backend always sees the same thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from hepvision.app.config import AppSettings
from hepvision.app.protocol import (
    FrameHeader,
    Pain,
    ProtocolError,
    Simple,
    Start,
    landmarks_json,
    number,
    parse_control,
    parse_frame,
)
from hepvision.capture.frames import Frame
from hepvision.errors import HepvisionError
from hepvision.live.engine import LiveEngine, LiveUpdate
from hepvision.live.flow import ExercisePlan, SessionFlow
from hepvision.live.program import template_plan
from hepvision.live.record import build_session_record
from hepvision.pose.base import PoseEstimator
from hepvision.pose.factory import create_estimator
from hepvision.pose.types import POSE_CONNECTIONS
from hepvision.session.report import write_json
from hepvision.templates import (
    AngleCounter,
    DistanceCounter,
    ExerciseTemplate,
    MeasureCounter,
    load_template,
)

log = logging.getLogger(__name__)

NOBODY_IN_VIEW = "Nobody in view: step back until your whole body is in the picture"

Reply = dict[str, Any]


def offered_plans(settings: AppSettings) -> list[ExercisePlan]:
    """The program's plans, or one plan per offered exercise (with the dosage overrides)."""
    if settings.program:
        return list(settings.program)
    return [_plan(settings, i) for i in settings.exercise_ids]


def describe_plan(plan: ExercisePlan) -> dict[str, Any]:
    """What the page shows of a plan (and needs to draw its ROM bar)."""
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
    target = getattr(getattr(template, "target", None), "rom", None)
    return {"start": start, "turn": turn, "target": target}


def _plan(settings: AppSettings, exercise_id: str) -> ExercisePlan:
    return template_plan(load_template(exercise_id), sets=settings.sets, reps=settings.reps,
                         rest_s=settings.rest_s)


class BrowserSession:
    """The state of one page's session; ``close()`` must be awaited at the end."""

    def __init__(self, settings: AppSettings) -> None:
        self.settings = settings
        self.flow: SessionFlow | None = None
        self.engine: LiveEngine | None = None
        self.saved_path: Path | None = None
        self.record: dict[str, Any] | None = None
        self.save_error: str | None = None
        self._estimator: PoseEstimator | None = None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hepvision-app")
        self._t0_ms: float | None = None
        self._frames = 0

    # -- messages ----------------------------------------------------------------------------
    async def on_text(self, text: str) -> list[Reply]:
        """A control message; returns the replies (an ``error`` for a bad message)."""
        try:
            msg = parse_control(text)
            if isinstance(msg, Start):
                return [await self._start(msg.exercise)]
            flow = self._require_flow()
            if isinstance(msg, Pain):
                flow.rate_pain(msg.value)
            else:
                self._simple(flow, msg)
            flow.tick()
        except ProtocolError as exc:
            return [error(str(exc))]
        return self._status_replies()

    async def on_frame(self, data: bytes) -> list[Reply]:
        """A frame message; returns a ``result``, a ``skipped`` or an ``error``."""
        received_s = time.monotonic()
        try:
            header, jpeg = parse_frame(data, self.settings.max_frame_bytes)
            flow = self._require_flow()
        except ProtocolError as exc:
            return [error(str(exc))]
        assert self.engine is not None
        self.engine.stats.dropped = max(self.engine.stats.dropped, header.dropped)
        flow.tick()
        analyzer = flow.analyzer
        if analyzer is None:
            return [self._skipped(header, f"no set running ({flow.state.value})")]
        if self.engine.analyzer is not analyzer:
            self.engine.set_analyzer(analyzer)
        if self._t0_ms is None:
            self._t0_ms = header.t_ms
        frame_ts = int(round(header.t_ms - self._t0_ms))
        # The frame's capture time on this clock: it spent (sent - captured) in the page.
        captured_s = received_s - max(0.0, header.sent_ms - header.t_ms) / 1000.0
        index = self._frames
        self._frames += 1
        loop = asyncio.get_running_loop()
        try:
            update, pose_ms = await loop.run_in_executor(
                self._worker, self._process, jpeg, frame_ts, index, captured_s)
        except ProtocolError as exc:
            return [error(str(exc), seq=header.seq)]
        if update is None:
            return [self._skipped(header, "frame older than the last one")]
        flow.on_feedback(update.feedback)
        replies = [self._result(header, update, pose_ms)]
        if flow.done:
            replies.extend(self._finish())
        return replies

    async def close(self) -> None:
        """The page went away: keep what was done (stop, save), release the backend."""
        try:
            if self.flow is not None and self.saved_path is None and self.save_error is None:
                self.flow.stop("page closed")
                self.flow.skip_pain()
                if self.flow.finished or self.flow.pain_before is not None:
                    self._finish()
        finally:
            # Queued behind any frame still in work, on the backend's own thread; not
            # awaited, so a cancelled handler still releases the backend.
            if self._estimator is not None:
                self._worker.submit(self._estimator.close)
            self._worker.shutdown(wait=False)

    # -- steps -------------------------------------------------------------------------------
    async def _start(self, exercise: str | None) -> Reply:
        if self.flow is not None:
            raise ProtocolError("this session has already started")
        plans = tuple(self._plans(exercise))
        loop = asyncio.get_running_loop()
        try:
            estimator = await loop.run_in_executor(self._worker, self._make_estimator)
        except HepvisionError as exc:
            raise ProtocolError(f"cannot start the pose backend: {exc}") from exc
        self._estimator = estimator
        self.engine = LiveEngine(estimator)
        self.flow = SessionFlow(plans)
        log.info("browser session %s started: %s", self.flow.session_id,
                 ", ".join(p.template.id for p in plans))
        return {"type": "session", "session_id": str(self.flow.session_id),
                "plans": [describe_plan(p) for p in plans],
                "connections": [list(c) for c in POSE_CONNECTIONS],
                "status": self.flow.status()}

    def _plans(self, exercise: str | None) -> list[ExercisePlan]:
        if self.settings.program:
            return list(self.settings.program)
        ids = self.settings.exercise_ids
        if exercise is None:
            if len(ids) != 1:
                raise ProtocolError("pick an exercise first")
            exercise = ids[0]
        if exercise not in ids:
            raise ProtocolError(f"exercise {exercise!r} is not offered here")
        try:
            return [_plan(self.settings, exercise)]
        except HepvisionError as exc:
            raise ProtocolError(str(exc)) from exc

    def _make_estimator(self) -> PoseEstimator:
        factory = self.settings.estimator_factory
        return factory() if factory is not None else create_estimator(self.settings.backend)

    def _process(self, jpeg: bytes, frame_ts: int, index: int,
                 captured_s: float) -> tuple[LiveUpdate | None, float]:
        """Worker thread: decode, pose, analysis."""
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        if image is None or image.ndim != 3 or image.size == 0:
            raise ProtocolError("cannot decode the frame (not a JPEG image)")
        assert self.engine is not None
        started = time.perf_counter()
        update = self.engine.process(Frame(np.ascontiguousarray(image), frame_ts, index),
                                     captured_s)
        return update, (time.perf_counter() - started) * 1000.0

    def _simple(self, flow: SessionFlow, msg: Simple) -> None:
        if msg.type == "skip_pain":
            flow.skip_pain()
        elif msg.type == "next":
            flow.next()
        elif msg.type == "stop":
            flow.stop()
        elif msg.type == "source_ended":
            flow.source_ended()
        # "tick" only advances the clock, which every message does

    def _require_flow(self) -> SessionFlow:
        if self.flow is None:
            raise ProtocolError("send a start message first")
        return self.flow

    # -- replies -----------------------------------------------------------------------------
    def _status_replies(self) -> list[Reply]:
        assert self.flow is not None
        replies: list[Reply] = [{"type": "status", "status": self.flow.status()}]
        if self.flow.done:
            replies.extend(self._finish())
        return replies

    def _skipped(self, header: FrameHeader, reason: str) -> Reply:
        assert self.flow is not None
        return {"type": "skipped", "seq": header.seq, "reason": reason,
                "status": self.flow.status()}

    def _result(self, header: FrameHeader, update: LiveUpdate, pose_ms: float) -> Reply:
        assert self.flow is not None
        fb = update.feedback
        detected = update.pose.detected
        setup = getattr(fb, "setup_message", None)
        if setup is None and not detected:
            setup = NOBODY_IN_VIEW
        return {
            "type": "result",
            "seq": header.seq,
            "t_ms": header.t_ms,
            "landmarks": landmarks_json(update.pose.landmarks, detected),
            "reps": fb.reps,
            "signal_value": number(fb.signal_value, 1),
            "signal_unit": fb.signal_unit,
            "state": fb.state,
            "view": fb.view,
            "setup_message": setup,
            "cue": getattr(fb, "cue", None),
            "hold_s": number(getattr(fb, "hold_s", 0.0), 1),
            "status": self.flow.status(),
            "latency_ms": round(update.latency_ms, 1),
            "pose_ms": round(pose_ms, 1),
        }

    def _finish(self) -> list[Reply]:
        if self.saved_path is not None or self.save_error is not None:
            return []
        try:
            self._save()
        except (ValueError, OSError) as exc:  # pydantic's ValidationError is a ValueError
            self.save_error = str(exc)
            log.error("the session could not be saved: %s", exc)
            return [error(f"the session could not be saved: {exc}")]
        return [self.summary()]

    def _save(self) -> None:
        assert self.flow is not None and self.engine is not None
        assert self._estimator is not None
        record = build_session_record(self.flow, self._estimator.info, self.engine.stats)
        path = self.settings.out_dir / f"{record['session_id']}.json"
        self.saved_path = write_json(path, record)
        self.record = record
        log.info("session saved to %s (%d reps)", path, record["reps"])
        if self.settings.on_saved is not None:
            try:
                self.settings.on_saved(record)
            except (HepvisionError, OSError) as exc:
                log.warning("session saved but not queued for upload: %s", exc)

    def summary(self) -> Reply:
        """The end-of-session summary: reps per set, ROM per repetition, best ROM."""
        assert self.flow is not None and self.record is not None
        flow = self.flow
        exercises = []
        for index, plan in enumerate(flow.plans):
            sets = [s for s in flow.finished if s.exercise_index == index]
            if not sets:
                continue
            rows, ranges, peaks = [], [], []
            for s in sets:
                reps = s.analysis.rep_details
                rom = [number(r.rom_range_deg, 1) for r in reps]
                peak = [number(r.rom_peak_deg, 1) for r in reps]
                ranges += [v for v in rom if v is not None]
                peaks += [v for v in peak if v is not None]
                rows.append({"set": s.set_index + 1, "reps": s.analysis.reps,
                             "partial_reps": s.analysis.partial_reps, "ended_by": s.ended_by,
                             "rom": rom, "peak": peak})
            exercises.append({"id": plan.template.id, "name": plan.template.name,
                              "signal": plan.template.signal_name,
                              "unit": sets[0].analysis.signal_unit, "sets": rows,
                              "best_rom": max(ranges) if ranges else None,
                              "best_peak": max(peaks, key=abs) if peaks else None})
        rec = self.record
        return {"type": "summary", "saved_to": str(self.saved_path),
                "session_id": rec["session_id"], "total_reps": rec["reps"],
                "pain_before": flow.pain_before, "pain_after": flow.pain_after,
                "stopped_early": flow.stopped_early, "stop_reason": flow.stop_reason,
                "duration_s": rec["duration_s"], "exercises": exercises,
                "processed_fps": rec["processed_fps"], "dropped_frames": rec["dropped_frames"],
                "latency_ms_median": rec["latency_ms_median"],
                "latency_ms_p95": rec["latency_ms_p95"], "status": flow.status()}


def error(message: str, **extra: Any) -> Reply:
    return {"type": "error", "message": message, **extra}
