"""Decoding ahead of the consumer on a background thread.

OpenCV releases the GIL while decoding, so a reader thread overlaps decode with pose
inference; the measured decode time of each frame travels with it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from hepvision.capture.frames import Frame, thread_cpu_ms

_END = object()


@dataclass(frozen=True, slots=True)
class TimedFrame:
    """A frame and the time its source took to produce it (decode + conversion), ms: wall
    time, and CPU time of the thread that read it."""

    frame: Frame
    decode_ms: float
    decode_cpu_ms: float = 0.0


def timed_frames(source: Iterable[Frame]) -> Iterator[TimedFrame]:
    """Frames of ``source`` with the time each took to produce, in the caller's thread."""
    it = iter(source)
    while True:
        t0, c0 = time.perf_counter(), thread_cpu_ms()
        try:
            frame = next(it)
        except StopIteration:
            return
        yield TimedFrame(frame, (time.perf_counter() - t0) * 1000.0, thread_cpu_ms() - c0)


def prefetched(source: Iterable[Frame], depth: int = 4) -> Iterator[TimedFrame]:
    """Frames of ``source`` decoded up to ``depth`` ahead on a reader thread.

    An exception raised by the source is re-raised in the consumer. Stopping early (closing
    the generator) stops the reader.
    """
    q: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def reader() -> None:
        try:
            for item in timed_frames(source):
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(_END)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, re-raised there
            q.put(exc)

    thread = threading.Thread(target=reader, name="hepvision-decode", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, TimedFrame)
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)
