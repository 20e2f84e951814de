"""The desktop/headless live loop behind ``hepvision live``."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from hepvision.capture.live import LatestFrameGrabber, paced
from hepvision.capture.sources import CameraSource, VideoFileSource
from hepvision.errors import HepvisionError
from hepvision.form.speech import Speaker
from hepvision.live.engine import LiveEngine, LiveUpdate
from hepvision.live.flow import ExercisePlan, FlowState, SessionFlow
from hepvision.live.overlay import draw_overlay, draw_summary
from hepvision.live.record import build_session_record
from hepvision.pose.factory import create_estimator

log = logging.getLogger(__name__)

WINDOW = "hepvision"
#: How long a form cue stays on screen after it is issued (a cue is issued in one frame).
CUE_SHOW_S = 3.0


@dataclass(frozen=True, slots=True)
class LiveOptions:
    """Settings of one live session.

    ``camera`` or ``video`` names the source (a video plays at real-time pace, as if it were
    the camera). Without a window (``show_window=False``) the pain ratings come from
    ``pain_before``/``pain_after`` and are skipped when None.
    """

    camera: int | None = None
    video: Path | None = None
    backend: str = "onnx"
    show_window: bool = True
    pain_before: int | None = None
    pain_after: int | None = None
    screenshot: Path | None = None


def run_live(plans: tuple[ExercisePlan, ...], options: LiveOptions,
             flow: SessionFlow | None = None) -> dict[str, Any]:
    """Run a whole session and return the session record (see ``live.record``).

    Everything done before a stop, an interrupt or the end of the source is kept.
    """
    if options.video is not None:
        source: VideoFileSource | CameraSource = VideoFileSource(options.video)
        frames = paced(source)
    else:
        source = CameraSource(options.camera or 0)
        frames = iter(source)
    flow = flow or SessionFlow(plans)
    with source, create_estimator(options.backend) as estimator:
        engine = LiveEngine(estimator)
        screen = _Window(options.screenshot) if options.show_window else None
        # Started when the first set begins, so a clip is not played through while the
        # patient is still answering the pain question.
        grabber = LatestFrameGrabber(frames)
        try:
            _loop(flow, engine, grabber, options, screen)
            if screen is not None and flow.done:
                screen.show_summary(flow)
        except KeyboardInterrupt:
            flow.stop("interrupted")
        finally:
            grabber.stop()
            engine.stats.dropped = grabber.dropped
            if screen is not None:
                screen.close()
        if not flow.done:  # interrupted, or the window closed while asking for pain
            flow.stop("interrupted")
            flow.skip_pain()
        return build_session_record(flow, estimator.info, engine.stats)


def _loop(flow: SessionFlow, engine: LiveEngine, grabber: LatestFrameGrabber,
          options: LiveOptions, screen: _Window | None) -> None:
    pending_pain = False
    blank = np.zeros((480, 640, 3), np.uint8)
    while not flow.done:
        flow.tick()
        if screen is None and flow.state in (FlowState.PAIN_BEFORE, FlowState.PAIN_AFTER):
            value = (options.pain_before if flow.state is FlowState.PAIN_BEFORE
                     else options.pain_after)
            flow.skip_pain() if value is None else flow.rate_pain(value)
            continue
        if not grabber.started:
            if flow.state is FlowState.ACTIVE:
                grabber.start()
            elif screen is not None:
                pending_pain = _handle_key(flow, screen.show(blank.copy(), None, flow),
                                           pending_pain)
                continue
        item = grabber.get(timeout=0.2)
        update: LiveUpdate | None = None
        if item is None:
            if not grabber.finished:
                continue
            flow.source_ended()
            if screen is None:
                continue
            image = blank.copy()
        else:
            image = item.frame.image
            analyzer = flow.analyzer
            if analyzer is not None:
                if engine.analyzer is not analyzer:
                    engine.set_analyzer(analyzer)
                update = engine.process(item.frame, item.captured_s)
                engine.stats.dropped = grabber.dropped
                if update is not None:
                    flow.on_feedback(update.feedback)
        if screen is not None:
            key = screen.show(image, update, flow)
            pending_pain = _handle_key(flow, key, pending_pain)
            if screen.closed():
                flow.stop("window closed")


def _handle_key(flow: SessionFlow, key: int, pending_pain: bool) -> bool:
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

    def current_cue(self, update: LiveUpdate | None, now_s: float) -> str | None:
        """The cue to show now; a newly issued one is also spoken."""
        if update is not None and update.feedback.cue:
            self._cue, self._cue_until = update.feedback.cue, now_s + CUE_SHOW_S
            self._speaker.say(self._cue)
        return self._cue if now_s < self._cue_until else None

    def show(self, image: np.ndarray, update: LiveUpdate | None, flow: SessionFlow) -> int:
        cue = self.current_cue(update, time.monotonic())
        setup_message = update.feedback.setup_message if update is not None else None
        canvas = draw_overlay(image.copy(), update, flow, cue=cue, setup_message=setup_message)
        if (self.screenshot is not None and not self._shot_taken and update is not None
                and update.pose.detected and update.feedback.reps > 0):
            cv2.imwrite(str(self.screenshot), canvas)
            self._shot_taken = True
        cv2.imshow(WINDOW, canvas)
        return cv2.waitKey(1)

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
            return cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1
        except cv2.error:
            return True

    def close(self) -> None:
        self._speaker.close()
        try:
            cv2.destroyWindow(WINDOW)
            cv2.waitKey(1)
        except cv2.error:
            pass
