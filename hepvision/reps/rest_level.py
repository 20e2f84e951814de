"""The patient's resting level: a time-weighted median of the samples seen at rest.

Each sample at rest stands for the time since the sample before it (capped at
:data:`REST_MIN_MS`, so that no single sample makes up the window), so the level covers the same
stretch of rest whatever the pose rate: the last :data:`REST_WINDOW_MS` of rest, known once
:data:`REST_MIN_MS` of rest was seen. At 30 frames/s that is the median of the last ~31 samples
from the 5th on (the sample counts these durations replace); at 5 poses/s a 500-ms setup's three
samples give a level, where five samples would have taken a second.
"""

from __future__ import annotations

from collections import deque

#: Rest time whose median is the patient's resting level (the 31 samples it replaces, at 30
#: frames/s: 30 intervals of 33.3 ms plus slack for integer timestamps).
REST_WINDOW_MS = 1020.0
#: Rest time seen before the level is used (4 intervals at 30 frames/s: the 5 samples it
#: replaces; the first sample of a stream stands for no time); also the most one sample
#: stands for.
REST_MIN_MS = 130.0
#: Weight of a known neutral (``CounterSettings.rest_level``) the level starts with; the
#: patient's measured rest joins it and soon outweighs it.
REST_SEED_MS = REST_MIN_MS


class RestLevel:
    """Time-weighted median of the recent samples at rest (see the module docstring)."""

    __slots__ = ("_samples", "_total_ms")

    def __init__(self, neutral: float | None = None) -> None:
        self._samples: deque[tuple[float, float]] = deque()
        self._total_ms = 0.0
        if neutral is not None:
            self.add(neutral, REST_SEED_MS)

    def add(self, x: float, weight_ms: float) -> float | None:
        """Add a sample at rest standing for ``weight_ms``; the level after it."""
        w = min(max(weight_ms, 0.0), REST_MIN_MS)
        self._samples.append((x, w))
        self._total_ms += w
        while len(self._samples) > 1 and self._total_ms - self._samples[0][1] >= REST_WINDOW_MS:
            self._total_ms -= self._samples.popleft()[1]
        return self.level

    @property
    def level(self) -> float | None:
        """The weighted median, or None while less than :data:`REST_MIN_MS` of rest was seen."""
        if self._total_ms < REST_MIN_MS:
            return None
        half = self._total_ms / 2
        acc = 0.0
        for value, weight in sorted(self._samples):
            acc += weight
            if acc > half:
                return value
        return max(v for v, _ in self._samples)
