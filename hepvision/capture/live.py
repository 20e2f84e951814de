"""Live capture: a paced video player and a newest-frame grabber.

For live use the consumer must always get the newest frame: when processing a frame takes
longer than the frame interval, the frames captured meanwhile are dropped (counted), so
latency never grows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from hepvision.capture.frames import Frame


def paced(frames: Iterable[Frame], *, speed: float = 1.0) -> Iterator[Frame]:
    """Release frames at their timestamps in wall time, as a camera would (``--video``)."""
    start: float | None = None
    first_ms = 0
    for frame in frames:
        if start is None:
            start, first_ms = time.monotonic(), frame.timestamp_ms
        due = start + (frame.timestamp_ms - first_ms) / 1000.0 / speed
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        yield frame


@dataclass(frozen=True, slots=True)
class CapturedFrame:
    """A frame with the monotonic wall time (seconds) at which capture delivered it."""

    frame: Frame
    captured_s: float


class LatestFrameGrabber:
    """Reads a source on a thread and keeps only its newest frame.

    :meth:`get` blocks until a frame newer than the last one returned is available and
    returns it; frames replaced before anyone took them are counted in ``dropped``.
    Exceptions raised by the source are re-raised from :meth:`get`.
    """

    def __init__(self, frames: Iterable[Frame]) -> None:
        self._frames = frames
        self._cond = threading.Condition()
        self._latest: CapturedFrame | None = None
        self._taken = True
        self._done = False
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self.captured = 0
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name="hepvision-grab", daemon=True)

    @property
    def started(self) -> bool:
        return self._thread.ident is not None

    def start(self) -> LatestFrameGrabber:
        if not self.started:
            self._thread.start()
        return self

    def _run(self) -> None:
        try:
            for frame in self._frames:
                if self._stop.is_set():
                    break
                item = CapturedFrame(frame, time.monotonic())
                with self._cond:
                    if not self._taken:
                        self.dropped += 1
                    self._latest, self._taken = item, False
                    self.captured += 1
                    self._cond.notify_all()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer by get()
            with self._cond:
                self._error = exc
        finally:
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def get(self, timeout: float | None = None) -> CapturedFrame | None:
        """The newest frame not yet returned; None when the source has ended (or timeout)."""
        with self._cond:
            self._cond.wait_for(lambda: not self._taken or self._done, timeout)
            if not self._taken and self._latest is not None:
                self._taken = True
                return self._latest
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            return None

    @property
    def finished(self) -> bool:
        """True once the source has ended and its last frame was taken."""
        with self._cond:
            return self._done and self._taken

    def stop(self) -> None:
        self._stop.set()
        if self.started:
            self._thread.join(timeout=2.0)

    def __enter__(self) -> LatestFrameGrabber:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
