"""The server side of a phone session: landmark frames in, the live analysis, the record stored.

:class:`PhoneSession` feeds each frame's pose to :meth:`LiveSession.analyse
<hepvision.live.session.LiveSession.analyse>` (the one per-frame step ``track`` and ``live``
use) with the frame's own capture time, relative to the session's first frame. A session
outlives its WebSocket: the page reconnects after a network drop, says which session it
continues, and sends the messages it buffered meanwhile; messages are applied once each, in
``seq`` order, so the result of a set does not depend on when the frames arrived.
When the flow is done the record (the one producer, :meth:`LiveSession.finish`) is stored as an
upload from the patient's device (:func:`hepvision.server.data.sessions.ingest`, idempotent by
session id).
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from typing import Self

from hepvision.analysis import FrameFeedback
from hepvision.app.replies import Reply, result_reply, session_reply
from hepvision.capture.frames import Frame
from hepvision.live.engine import LiveStats
from hepvision.live.flow import ExercisePlan, SessionFlow
from hepvision.live.session import LiveSession
from hepvision.phone.wire import LandmarkFrame, Pain, Simple
from hepvision.pose.models import verified_model_path
from hepvision.pose.types import BackendInfo, PoseResult
from hepvision.session.record import RunTimings, SessionRecord

log = logging.getLogger(__name__)

TASK_MODEL = "pose_landmarker_full.task"
#: The backend name in the records of phone sessions.
BACKEND_NAME = "mediapipe-web"


class BrowserPose:
    """The pose backend of a phone session: MediaPipe Tasks Vision running in the patient's
    browser on the bundled ``pose_landmarker_full.task``. Its poses arrive over the network,
    so :meth:`estimate` is never called; the record names the backend and the model's hash."""

    def __init__(self) -> None:
        _, sha256 = verified_model_path(TASK_MODEL)
        self._info = BackendInfo(BACKEND_NAME, {TASK_MODEL: sha256})

    @property
    def info(self) -> BackendInfo:
        return self._info

    def estimate(self, frame: Frame) -> PoseResult:
        raise RuntimeError("a phone session's poses are estimated in the browser")

    def close(self) -> None:
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PhoneSession:
    """One patient's session on the phone (it survives reconnections).

    Args:
        patient_id: the enrolled device's patient (None: ``hepvision app``'s page, on the
            patient's own machine).
        plans: today's plans; ``prescription_version``: the prescription they follow.
    """

    def __init__(self, patient_id: int | None, plans: tuple[ExercisePlan, ...],
                 prescription_version: int | None) -> None:
        self.patient_id = patient_id
        self.live = LiveSession(SessionFlow(plans), BrowserPose(),
                                prescription_version=prescription_version)
        self.received = -1
        self.stats = LiveStats()
        self.touched_s = time.monotonic()
        self.stored = False
        self._t0_ms: float | None = None
        self._last_ts: int | None = None
        self._dropped = 0

    @property
    def session_id(self) -> uuid.UUID:
        return self.live.flow.session_id

    @property
    def done(self) -> bool:
        return self.live.flow.done

    def opening(self) -> Reply:
        """The ``session`` reply to a hello: plans, skeleton, status, last applied seq."""
        flow = self.live.flow
        return session_reply(str(self.session_id), flow.plans, flow.status(), self.received)

    def is_new(self, seq: int) -> bool:
        """Whether message ``seq`` was not applied yet (a replayed one is answered, not
        applied again)."""
        self.touched_s = time.monotonic()
        return seq > self.received

    def frame(self, msg: LandmarkFrame, received_s: float) -> Reply:
        """Apply one landmark frame (call only when :meth:`is_new`)."""
        self.received = msg.seq
        self._dropped = max(self._dropped, msg.dropped)
        flow = self.live.flow
        flow.tick()
        if flow.analyzer is None:
            return self._skipped(msg, f"no set running ({flow.state.value})")
        if self._t0_ms is None:
            self._t0_ms = msg.t_ms
        ts = round(msg.t_ms - self._t0_ms)
        if self._last_ts is not None and ts <= self._last_ts:
            return self._skipped(msg, "frame not newer than the last one")
        self._last_ts = ts
        pose = dataclasses.replace(msg.pose, timestamp_ms=ts)
        feedback = self.live.analyse(pose)
        assert feedback is not None  # a set is running
        now = time.monotonic()
        self.stats.record(msg.page_ms + (now - received_s) * 1000.0, now)
        return self._result(msg, pose, feedback)

    def control(self, msg: Pain | Simple) -> Reply:
        """Apply one control message (call only when :meth:`is_new`)."""
        self.received = msg.seq
        flow = self.live.flow
        apply_control(flow, msg)
        return {"type": "status", "seq": msg.seq, "status": flow.status()}

    def finish(self, reason: str) -> SessionRecord:
        """End the session (keeping what was done) and return its record."""
        stats = self.stats
        timings = RunTimings(processed_frames=stats.processed,
                             processing_fps=stats.processed_fps, dropped_frames=self._dropped,
                             latency_ms_median=stats.latency_ms(50),
                             latency_ms_p95=stats.latency_ms(95))
        return self.live.finish(reason, timings=timings)

    def _skipped(self, msg: LandmarkFrame, reason: str) -> Reply:
        return {"type": "skipped", "seq": msg.seq, "reason": reason,
                "status": self.live.flow.status()}

    def _result(self, msg: LandmarkFrame, pose: PoseResult, fb: FrameFeedback) -> Reply:
        return result_reply(msg.seq, msg.t_ms, pose, fb, self.live.flow.status())


def apply_control(flow: SessionFlow, msg: Pain | Simple) -> None:
    """The patient's answer or button (``pain``, ``skip_pain``, ``next``, ``stop``, ``tick``)
    applied to ``flow``; every message advances its clock."""
    if isinstance(msg, Pain):
        flow.rate_pain(msg.value)
    elif msg.type == "skip_pain":
        flow.skip_pain()
    elif msg.type == "next":
        flow.next()
    elif msg.type == "stop":
        flow.stop()
    flow.tick()
