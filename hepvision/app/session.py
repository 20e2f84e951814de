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
from datetime import date
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
    parse_control,
    parse_frame,
)
from hepvision.app.replies import (
    Reply,
    error,
    result_reply,
    session_reply,
    summary_reply,
)
from hepvision.capture.frames import Frame
from hepvision.errors import HepvisionError
from hepvision.live.engine import LiveUpdate
from hepvision.live.flow import ExercisePlan, SessionFlow
from hepvision.live.prescribed import exercise_program
from hepvision.live.session import LiveSession
from hepvision.pose.base import PoseEstimator
from hepvision.pose.factory import create_estimator
from hepvision.session.record import SessionRecord
from hepvision.session.report import write_json
from hepvision.session.serialize import saved_session
from hepvision.templates import load_template

log = logging.getLogger(__name__)


def offered_plans(settings: AppSettings) -> list[ExercisePlan]:
    """The program's plans, or one plan per offered exercise (with the dosage overrides)."""
    if settings.program:
        return list(settings.program)
    return [_picked(settings, i)[0] for i in settings.exercise_ids]


def _picked(settings: AppSettings, exercise_id: str) -> tuple[ExercisePlan, int | None]:
    """The plan of a picked exercise (the patient's prescribed overrides and dosage when the
    prescription has it; the dosage settings win) and the prescription version it follows."""
    program = exercise_program(load_template(exercise_id), settings.prescription,
                               date.today(), sets=settings.sets, reps=settings.reps,
                               rest_s=settings.rest_s)
    return program.plans[0], program.prescription_version


def chosen_plans(settings: AppSettings, exercise: str | None
                 ) -> tuple[tuple[ExercisePlan, ...], int | None]:
    """The plans a session runs (the program, or the picked exercise: None picks the only
    one offered) and the prescription version they follow.

    Raises:
        ProtocolError: no exercise picked among several, or one that is not offered.
    """
    if settings.program:
        return tuple(settings.program), settings.prescription_version
    ids = settings.exercise_ids
    if exercise is None:
        if len(ids) != 1:
            raise ProtocolError("pick an exercise first")
        exercise = ids[0]
    if exercise not in ids:
        raise ProtocolError(f"exercise {exercise!r} is not offered here")
    try:
        plan, version = _picked(settings, exercise)
    except HepvisionError as exc:
        raise ProtocolError(str(exc)) from exc
    return (plan,), version


class BrowserSession:
    """The state of one page's session; ``close()`` must be awaited at the end.

    The page's frames go to a :class:`~hepvision.live.session.LiveSession` (the same per-frame
    step as the desktop window), on one worker thread; its controls go to the session's flow.
    """

    def __init__(self, settings: AppSettings) -> None:
        self.settings = settings
        self.live: LiveSession | None = None
        self.saved_path: Path | None = None
        self.record: dict[str, Any] | None = None
        self.session_record: SessionRecord | None = None
        self.save_error: str | None = None
        self._estimator: PoseEstimator | None = None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hepvision-app")
        self._t0_ms: float | None = None
        self._frames = 0

    @property
    def flow(self) -> SessionFlow | None:
        return self.live.flow if self.live is not None else None

    # -- messages ----------------------------------------------------------------------------
    async def on_text(self, text: str) -> list[Reply]:
        """A control message; returns the replies (an ``error`` for a bad message)."""
        try:
            msg = parse_control(text)
            if isinstance(msg, Start):
                return [await self.start(msg.exercise)]
            flow = self._require_live().flow
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
            live = self._require_live()
        except ProtocolError as exc:
            return [error(str(exc))]
        stats = live.engine.stats
        stats.dropped = max(stats.dropped, header.dropped)
        live.flow.tick()
        if live.flow.analyzer is None:
            return [self._skipped(header, f"no set running ({live.flow.state.value})")]
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
        replies = [self._result(header, update, pose_ms)]
        if live.flow.done:
            replies.extend(self.save())
        return replies

    async def close(self) -> None:
        """The page went away: keep what was done (stop, save), release the backend."""
        try:
            flow = self.flow
            if flow is not None and self.saved_path is None and self.save_error is None:
                flow.stop("page closed")
                flow.skip_pain()
                if flow.finished or flow.pain_before is not None:
                    self.save()
        finally:
            # Queued behind any frame still in work, on the backend's own thread; not
            # awaited, so a cancelled handler still releases the backend.
            if self._estimator is not None:
                self._worker.submit(self._estimator.close)
            self._worker.shutdown(wait=False)

    # -- steps -------------------------------------------------------------------------------
    async def start(self, exercise: str | None) -> Reply:
        """Start the session on ``exercise`` (None: the program, or the one offered exercise):
        load the pose backend; returns the ``session`` reply.

        Raises:
            ProtocolError: started already, an exercise not offered, no backend.
        """
        if self.live is not None:
            raise ProtocolError("this session has already started")
        plans, version = chosen_plans(self.settings, exercise)
        loop = asyncio.get_running_loop()
        try:
            estimator = await loop.run_in_executor(self._worker, self._make_estimator)
        except HepvisionError as exc:
            raise ProtocolError(f"cannot start the pose backend: {exc}") from exc
        self._estimator = estimator
        flow = SessionFlow(plans)
        self.live = LiveSession(flow, estimator, prescription_version=version)
        log.info("browser session %s started: %s", flow.session_id,
                 ", ".join(p.template.id for p in plans))
        return session_reply(str(flow.session_id), plans, flow.status(), -1)

    def _make_estimator(self) -> PoseEstimator:
        factory = self.settings.estimator_factory
        return factory() if factory is not None else create_estimator(self.settings.backend)

    def _process(self, jpeg: bytes, frame_ts: int, index: int,
                 captured_s: float) -> tuple[LiveUpdate | None, float]:
        """Worker thread: decode, then the session's pose and analysis."""
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        if image is None or image.ndim != 3 or image.size == 0:
            raise ProtocolError("cannot decode the frame (not a JPEG image)")
        assert self.live is not None
        started = time.perf_counter()
        update = self.live.process(Frame(np.ascontiguousarray(image), frame_ts, index),
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

    def _require_live(self) -> LiveSession:
        if self.live is None:
            raise ProtocolError("send a start message first")
        return self.live

    # -- replies -----------------------------------------------------------------------------
    def _status_replies(self) -> list[Reply]:
        flow = self._require_live().flow
        replies: list[Reply] = [{"type": "status", "status": flow.status()}]
        if flow.done:
            replies.extend(self.save())
        return replies

    def _skipped(self, header: FrameHeader, reason: str) -> Reply:
        flow = self._require_live().flow
        return {"type": "skipped", "seq": header.seq, "reason": reason,
                "status": flow.status()}

    def _result(self, header: FrameHeader, update: LiveUpdate, pose_ms: float) -> Reply:
        flow = self._require_live().flow
        return result_reply(header.seq, header.t_ms, update.pose, update.feedback,
                            flow.status(), latency_ms=round(update.latency_ms, 1),
                            pose_ms=round(pose_ms, 1))

    def save(self) -> list[Reply]:
        """Save the record once (the flow is done, or the page went away); returns the
        ``summary`` reply, or an ``error`` when it could not be written."""
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
        live = self._require_live()
        self.session_record = live.finish("page closed")
        self.saved_path, self.record = save_session(self.settings, self.session_record)

    def summary(self) -> Reply:
        """The end-of-session summary: reps per set, ROM per repetition, best ROM."""
        assert self.session_record is not None and self.record is not None
        assert self.flow is not None and self.saved_path is not None
        return local_summary(self.session_record, self.record, self.saved_path,
                             self.flow.status())


def save_session(settings: AppSettings, record: SessionRecord) -> tuple[Path, dict[str, Any]]:
    """Write ``record`` as ``<session_id>.json`` in the app's folder and hand it to
    ``on_saved`` (the upload queue); returns the path and the saved dict."""
    saved = saved_session(record)
    path = write_json(settings.out_dir / f"{saved['session_id']}.json", saved)
    log.info("session saved to %s (%d reps)", path, saved["reps"])
    if settings.on_saved is not None:
        try:
            settings.on_saved(saved)
        except (HepvisionError, OSError) as exc:
            log.warning("session saved but not queued for upload: %s", exc)
    return path, saved


def local_summary(record: SessionRecord, saved: dict[str, Any], path: Path,
                  status: dict[str, Any]) -> Reply:
    """The ``summary`` of a session saved on this machine: where, and the run's timings."""
    return summary_reply(record, status, saved_to=str(path),
                         duration_s=saved["duration_s"], processed_fps=saved["processed_fps"],
                         dropped_frames=saved["dropped_frames"],
                         latency_ms_median=saved["latency_ms_median"],
                         latency_ms_p95=saved["latency_ms_p95"])
