"""One session being run: the flow, the pose engine, and the typed record at the end.

Every way of running a session goes through :class:`LiveSession`: the desktop window and the
headless kiosk (:func:`hepvision.live.run.drive` pulls frames from a :class:`FrameFeed`), the
browser page (:class:`hepvision.app.session.BrowserSession` pushes the frames the page sends),
``hepvision track`` (poses of a clip, :meth:`LiveSession.analyse`) and the Python API
(:class:`hepvision.Tracker`). A front end only supplies frames and the patient's inputs
(which go to :attr:`LiveSession.flow`) and shows the updates; the per-frame step and the
record are the same for all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Protocol

from hepvision import __version__
from hepvision.analysis import FrameFeedback
from hepvision.capture.frames import Frame
from hepvision.capture.live import CapturedFrame
from hepvision.live.engine import LiveEngine, LiveUpdate
from hepvision.live.flow import SessionFlow
from hepvision.pose.base import PoseEstimator
from hepvision.pose.types import PoseResult
from hepvision.session.build import build_record
from hepvision.session.record import MediaInfo, RunContext, RunTimings, SessionRecord


class LiveSession:
    """A session in progress; :meth:`finish` ends it (keeping what was done) and returns its
    record.

    Args:
        flow: the patient's session flow (plans, pain, sets, rest).
        estimator: the pose backend (its name and model hashes go into the record).
        prescription_version: the prescription version the plans follow (None: none).
        correction: applied to every pose before analysis (the camera's calibration, see
            :class:`hepvision.calibration.undistort.CameraCorrection`; None: none).
    """

    def __init__(self, flow: SessionFlow, estimator: PoseEstimator, *,
                 prescription_version: int | None = None, max_frames: int | None = None,
                 threaded_decode: bool = True,
                 correction: Callable[[PoseResult], PoseResult] | None = None) -> None:
        self.flow = flow
        self._correction = correction
        self.engine = LiveEngine(estimator)
        info = estimator.info  # read now: a closed backend need not answer
        self._context = RunContext(backend=info.name, model_sha256=dict(info.model_sha256),
                                   prescription_version=prescription_version,
                                   app_version=__version__, max_frames=max_frames,
                                   threaded_decode=threaded_decode, pose_model=info.selection)
        self._record: SessionRecord | None = None

    @property
    def context(self) -> RunContext:
        """What the session runs with (backend, model hashes, prescription version)."""
        return self._context

    @property
    def record(self) -> SessionRecord | None:
        """The record once :meth:`finish` was called, else None."""
        return self._record

    def process(self, frame: Frame, captured_s: float | None = None) -> LiveUpdate | None:
        """One camera frame: pose and analysis when a set is running. None when no set is
        running (pain questions, rest) or the frame is not newer than the last processed."""
        self.flow.tick()
        if self.flow.analyzer is None:
            return None
        return self.engine.process(frame, self._analyse_active, captured_s)

    def analyse(self, pose: PoseResult) -> FrameFeedback | None:
        """One frame's pose, estimated elsewhere (a clip's run, a replayed recording); None
        when no set is running."""
        self.flow.tick()
        if self.flow.analyzer is None:
            return None
        return self._analyse_active(pose)

    def _analyse_active(self, pose: PoseResult) -> FrameFeedback:
        analyzer = self.flow.analyzer
        if analyzer is None:
            raise RuntimeError("no set is running")
        if self._correction is not None:
            pose = self._correction(pose)
        feedback = analyzer.update(pose)
        self.flow.on_feedback(feedback)
        return feedback

    def finish(self, reason: str = "interrupted", *, timings: RunTimings | None = None,
               media: MediaInfo | None = None, ended_at: datetime | None = None
               ) -> SessionRecord:
        """End the session (a flow not done yet is stopped for ``reason``, a pending pain
        question skipped) and return its record; later calls return the same record.

        ``timings`` replaces the engine's figures (an offline run times its own stages);
        ``media`` describes a clip's frames; ``ended_at`` replaces the wall-clock end (a
        clip's session ends its duration after it started).
        """
        if self._record is not None:
            return self._record
        flow = self.flow
        if not flow.done:
            flow.stop(reason)
            flow.skip_pain()
        self._record = build_record(flow.outcome(ended_at), self._context,
                                    timings or self.engine.stats.timings(), media)
        return self._record


class FrameFeed(Protocol):
    """Where a pulled session's frames come from (:func:`hepvision.live.run.drive`).

    :class:`~hepvision.capture.live.LatestFrameGrabber` is the camera's feed (a reader thread
    keeps only the newest frame; the frames it replaced are ``dropped``); :class:`EveryFrame`
    hands over every frame of a clip in turn.
    """

    @property
    def started(self) -> bool: ...

    @property
    def finished(self) -> bool: ...

    @property
    def dropped(self) -> int: ...

    def start(self) -> FrameFeed: ...

    def get(self, timeout: float | None = None) -> CapturedFrame | None: ...

    def stop(self) -> None: ...


class EveryFrame:
    """Every frame of a clip, read when asked for (nothing dropped, no pacing): a headless
    session over a clip then sees exactly the frames ``hepvision track`` sees."""

    def __init__(self, frames: Iterable[Frame]) -> None:
        self._frames: Iterator[Frame] = iter(frames)
        self._started = False
        self._finished = False

    @property
    def started(self) -> bool:
        return self._started

    @property
    def finished(self) -> bool:
        return self._finished

    @property
    def dropped(self) -> int:
        return 0

    def start(self) -> EveryFrame:
        self._started = True
        return self

    def get(self, timeout: float | None = None) -> CapturedFrame | None:
        """The next frame; None once the clip has ended."""
        if self._finished:
            return None
        try:
            frame = next(self._frames)
        except StopIteration:
            self._finished = True
            return None
        return CapturedFrame(frame, time.monotonic())

    def stop(self) -> None:
        self._finished = True
