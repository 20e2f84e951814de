"""Decoding and pose taking turns on the CPU instead of running at the same time.

In a live session the capture thread decodes frame N+1 while the main thread runs the pose
model on frame N. On two cores they run at once and share the last-level cache and the memory
bus: the landmark model took 15.2 ms of CPU per frame with a decoding thread running beside
it and 13.4-13.9 ms without (720p H.264, the 2-core machine, issue 17). When one frame's
decode plus pose fits well inside the frame interval, nothing is gained by overlapping them:
:class:`CpuTurns` makes them alternate (a lock held while decoding and while analysing), which
costs latency only the decode time (2-3 ms) and saves that contention.

Measured since (live 720p30, five runs each, ``benchmarks/live.py --turns``): once a video
file decodes to I420 (half the bytes a BGR frame had), taking turns no longer saved anything
measurable (0.52-0.57 cores with, 0.52-0.55 without on a quiet machine), so
:class:`~hepvision.live.run.LiveOptions` leaves it off; it stays for machines where decoding is
heavier (4K, software MJPEG) and for measuring.

Turns are given up for the rest of the session (:meth:`CpuTurns.give_up`) as soon as the
live loop drops a frame after its first :data:`WARMUP_FRAMES` (the model's first runs and the
first person detection are slow whatever the arrangement): then overlapping is what keeps up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext

from hepvision.capture.frames import Frame

log = logging.getLogger(__name__)

#: Frames processed before a dropped frame makes the turns be given up (about a second).
WARMUP_FRAMES = 30


class CpuTurns:
    """A lock the decoding thread and the analysing thread take in turn (when enabled)."""

    def __init__(self, enabled: bool = True) -> None:
        self._lock = threading.Lock()
        self._enabled = enabled
        self.given_up_reason: str | None = None

    @property
    def enabled(self) -> bool:
        return self._enabled

    def turn(self) -> AbstractContextManager[object]:
        """Hold the CPU for one piece of work (a no-op once turns are given up)."""
        return self._lock if self._enabled else nullcontext()

    def give_up(self, reason: str) -> None:
        """Stop taking turns for good (the work overlaps again from the next piece on)."""
        if self._enabled:
            self._enabled = False
            self.given_up_reason = reason
            log.info("decode and pose overlap from now on: %s", reason)


def taking_turns(frames: Iterable[Frame], turns: CpuTurns) -> Iterator[Frame]:
    """``frames``, each produced (decoded) during a turn of ``turns``."""
    it = iter(frames)
    while True:
        with turns.turn():
            frame = next(it, None)
        if frame is None:
            return
        yield frame
