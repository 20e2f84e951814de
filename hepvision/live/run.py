"""``hepvision live``: a session pulled from a camera or a clip, in a window or headless.

:func:`drive` is the loop: it pulls frames from a :class:`~hepvision.live.session.FrameFeed`
into a :class:`~hepvision.live.session.LiveSession` and shows each update on a :class:`Front`
(the desktop window, or nothing for a headless kiosk, which answers the pain questions from
its options). The browser page (``hepvision app``) pushes its frames into the same
``LiveSession``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from hepvision.calibration.undistort import CameraCorrection
from hepvision.capture.frames import Frame
from hepvision.capture.live import LatestFrameGrabber, paced
from hepvision.capture.sources import CameraSource, ImageFolderSource, VideoFileSource
from hepvision.errors import HepvisionError
from hepvision.form.speech import Speaker
from hepvision.live.engine import LiveUpdate
from hepvision.live.flow import ExercisePlan, FlowState, SessionFlow
from hepvision.live.overlay import draw_overlay, draw_summary
from hepvision.live.session import EveryFrame, FrameFeed, LiveSession
from hepvision.pose.factory import create_estimator
from hepvision.session.record import SessionRecord

log = logging.getLogger(__name__)

WINDOW = "hepvision"
#: How long a form cue stays on screen after it is issued (a cue is issued in one frame).
CUE_SHOW_S = 3.0


@dataclass(frozen=True, slots=True)
class LiveOptions:
    """Settings of one live session.

    ``camera`` or ``video`` names the source: a video file or a folder of images. A clip
    plays at real-time pace as if it were the camera (frames the pipeline cannot keep up with
    are dropped) unless ``realtime`` is False: then every frame is read in turn and the
    session's clock is the clip's (rests last clip time), so a headless session over a clip
    sees exactly the frames ``hepvision track`` sees. Without a window (``show_window=False``)
    the pain ratings come from ``pain_before``/``pain_after`` and are skipped when None.
    ``landmarks``: with the ``replay`` backend, the recording that serves the clip's frames.
    ``prescription_version``: the prescription version the plans follow (None: none).
    ``model``: the landmark model variant or ``auto`` (chosen at start by measurement at the
    source's frame rate); None runs the backend's default without measuring.
    """

    camera: int | None = None
    video: Path | None = None
    backend: str = "onnx"
    landmarks: Path | None = None
    show_window: bool = True
    realtime: bool = True
    pain_before: int | None = None
    pain_after: int | None = None
    screenshot: Path | None = None
    prescription_version: int | None = None
    model: str | None = None


class Front(Protocol):
    """What a pulled session is shown on: the window, or nothing (headless)."""

    def answer_pain(self, flow: SessionFlow) -> bool:
        """Answer a pending pain question itself; True when it did."""
        ...

    def show(self, frame: Frame | None, update: LiveUpdate | None,
             flow: SessionFlow) -> None:
        """Show a frame (None: nothing to show) and apply the patient's input. A front
        that draws nothing never reads ``frame.image`` (a video file's frame is converted to
        BGR only when read)."""
        ...

    def close(self, flow: SessionFlow) -> None:
        """The session is over (or interrupted): show the summary if done, release."""
        ...


class MediaClock:
    """A clip's clock: the timestamp of the last frame read, in seconds."""

    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


def run_live(plans: tuple[ExercisePlan, ...], options: LiveOptions,
             flow: SessionFlow | None = None) -> SessionRecord:
    """Run a whole session and return its record.

    Everything done before a stop, an interrupt or the end of the source is kept.
    """
    clock = MediaClock()
    source = _open(options)
    with source, create_estimator(options.backend, recording=options.landmarks,
                                  model=options.model, source_fps=source.fps) as estimator:
        if options.video is not None and not options.realtime:
            feed: FrameFeed = EveryFrame(_clocked(source, clock))
            flow = flow or SessionFlow(plans, clock=clock)
        else:
            frames = paced(source) if options.video is not None else iter(source)
            # Started when the first set begins, so a clip is not played through while the
            # patient is still answering the pain question.
            feed = LatestFrameGrabber(frames)
            flow = flow or SessionFlow(plans)
        # A camera's saved calibration undistorts its landmarks (hepvision calibrate camera).
        correction = (CameraCorrection(f"camera{options.camera or 0}")
                      if options.video is None else None)
        session = LiveSession(flow, estimator, correction=correction,
                              prescription_version=options.prescription_version)
        session.engine.stats.cpu.decode = source.decode  # decoding CPU, on its own thread
        front: Front = (_Window(options.screenshot) if options.show_window
                        else Headless(options.pain_before, options.pain_after))
        try:
            drive(session, feed, front)
        except KeyboardInterrupt:
            flow.stop("interrupted")
        finally:
            feed.stop()
            session.engine.stats.dropped = feed.dropped
            front.close(flow)
        return session.finish("interrupted")


def drive(session: LiveSession, feed: FrameFeed, front: Front) -> None:
    """Pull frames into ``session`` until its flow is done, showing each update on ``front``.

    The feed starts with the first set; when it ends, the flow's set ends with it.
    """
    flow = session.flow
    while not flow.done:
        flow.tick()
        if front.answer_pain(flow):
            continue
        if not feed.started:
            if flow.state is not FlowState.ACTIVE:
                front.show(None, None, flow)
                continue
            feed.start()
        item = feed.get(timeout=0.2)
        if item is None:
            if not feed.finished:
                continue
            flow.source_ended()
            front.show(None, None, flow)
            continue
        update = session.process(item.frame, item.captured_s)
        session.engine.stats.dropped = feed.dropped
        front.show(item.frame, update, flow)


def _open(options: LiveOptions) -> VideoFileSource | ImageFolderSource | CameraSource:
    if options.video is None:
        return CameraSource(options.camera or 0)
    if options.video.is_dir():
        return ImageFolderSource(options.video)
    return VideoFileSource(options.video)


def _clocked(frames: VideoFileSource | ImageFolderSource | CameraSource,
             clock: MediaClock) -> Iterator[Frame]:
    for frame in frames:
        clock.now_s = frame.timestamp_ms / 1000.0
        yield frame


class Headless:
    """No window: pain questions are answered from the options (skipped when None)."""

    def __init__(self, pain_before: int | None, pain_after: int | None) -> None:
        self.pain_before = pain_before
        self.pain_after = pain_after

    def answer_pain(self, flow: SessionFlow) -> bool:
        if flow.state not in (FlowState.PAIN_BEFORE, FlowState.PAIN_AFTER):
            return False
        value = self.pain_before if flow.state is FlowState.PAIN_BEFORE else self.pain_after
        if value is None:
            flow.skip_pain()
        else:
            flow.rate_pain(value)
        return True

    def show(self, frame: Frame | None, update: LiveUpdate | None,
             flow: SessionFlow) -> None:
        pass

    def close(self, flow: SessionFlow) -> None:
        pass


def handle_key(flow: SessionFlow, key: int, pending_pain: bool) -> bool:
    """Apply one key press; returns whether a pain digit is awaited next."""
    if key < 0:
        return pending_pain
    ch = chr(key & 0xFF).lower()
    asking = flow.state in (FlowState.PAIN_BEFORE, FlowState.PAIN_AFTER)
    if (asking or pending_pain) and (ch.isdigit() or ch == "x"):
        flow.rate_pain(10 if ch == "x" else int(ch))
        return False
    if asking and ch == "s":
        flow.skip_pain()
    elif ch == "q" or key == 27:
        flow.stop()
    elif ch == "n":
        flow.next()
    elif ch == "p":
        return True
    return False


class _Window:
    """The OpenCV window; a clear error where no display is available.

    Shows the frame's setup message while the camera setup is wrong, and each form cue for
    :data:`CUE_SHOW_S`, speaking it (offline, non-blocking) when an engine is installed.
    """

    def __init__(self, screenshot: Path | None, speaker: Speaker | None = None) -> None:
        try:
            cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL)
        except cv2.error as exc:
            raise HepvisionError("cannot open a window (no display?): use --no-window, or "
                                 "run in a desktop session") from exc
        self.screenshot = screenshot
        self._shot_taken = False
        self._speaker = speaker if speaker is not None else Speaker()
        self._cue: str | None = None
        self._cue_until = 0.0
        self._pending_pain = False
        self._blank = np.zeros((480, 640, 3), np.uint8)

    def answer_pain(self, flow: SessionFlow) -> bool:
        return False  # the patient answers with the keys

    def current_cue(self, update: LiveUpdate | None, now_s: float) -> str | None:
        """The cue to show now; a newly issued one is also spoken."""
        if update is not None and update.feedback.cue:
            self._cue, self._cue_until = update.feedback.cue, now_s + CUE_SHOW_S
            self._speaker.say(self._cue)
        return self._cue if now_s < self._cue_until else None

    def show(self, frame: Frame | None, update: LiveUpdate | None,
             flow: SessionFlow) -> None:
        cue = self.current_cue(update, time.monotonic())
        setup_message = update.feedback.setup_message if update is not None else None
        base = self._blank if frame is None else frame.image
        template = flow.plan.template  # its target ROM (the patient's, when prescribed)
        target = template.target.rom if template.signal_unit == "deg" else None
        canvas = draw_overlay(base.copy(), update, flow, target, cue=cue,
                              setup_message=setup_message)
        if (self.screenshot is not None and not self._shot_taken and update is not None
                and update.pose.detected and update.feedback.reps > 0):
            cv2.imwrite(str(self.screenshot), canvas)
            self._shot_taken = True
        cv2.imshow(WINDOW, canvas)
        self._pending_pain = handle_key(flow, cv2.waitKey(1), self._pending_pain)
        if self.closed():
            flow.stop("window closed")
            flow.skip_pain()  # nobody is left to answer

    def close(self, flow: SessionFlow) -> None:
        if flow.done and not self.closed():
            self.show_summary(flow)
        self._speaker.close()
        try:
            cv2.destroyWindow(WINDOW)
            cv2.waitKey(1)
        except cv2.error:
            pass

    def show_summary(self, flow: SessionFlow, seconds: float = 15.0) -> None:
        """The summary until a key is pressed (or ``seconds`` pass)."""
        canvas = draw_summary(np.zeros((480, 800, 3), np.uint8), flow)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.closed():
            cv2.imshow(WINDOW, canvas)
            if cv2.waitKey(50) >= 0:
                break

    def closed(self) -> bool:
        try:
            return bool(cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1)
        except cv2.error:
            return True
