"""Reading a template's counted signal on one side of one frame, with where it came from."""

from __future__ import annotations

import math
from dataclasses import dataclass

from hepvision.kinematics.angles import FramePoints, Source, measure_angle
from hepvision.kinematics.distances import measure_distance
from hepvision.kinematics.measures import measure
from hepvision.templates.schema import AngleCounter, DistanceCounter, MeasureCounter
from hepvision.vocabulary import MeasureName, Side


@dataclass(frozen=True, slots=True)
class SignalReading:
    """One side's counted signal in one frame.

    Attributes:
        value: in the signal's unit; NaN when not measurable (or nobody usable in view).
        confidence: 0..1 (0 when not measurable).
        world: True when world (3D) landmarks read it.
    """

    value: float
    confidence: float
    world: bool


_NONE = SignalReading(math.nan, 0.0, False)


class SignalReader:
    """Reads the signal a counter table names (an angle, a distance or a form measure)."""

    def __init__(self, counter: AngleCounter | DistanceCounter | MeasureCounter) -> None:
        self._counter = counter

    def read(self, frame: FramePoints | None, side: Side) -> SignalReading:
        if frame is None:
            return _NONE
        c = self._counter
        if isinstance(c, AngleCounter):
            r = measure_angle(frame, c.angle, side)
            return SignalReading(r.value_deg, r.confidence, r.source is Source.WORLD)
        if isinstance(c, DistanceCounter):
            value, conf = measure_distance(frame, c.distance, side)
            return SignalReading(value, conf, False)
        value = measure(frame, c.measure, side)
        if not value == value:
            return _NONE
        image_only = c.measure is MeasureName.KNEE_VALGUS
        return SignalReading(value, 1.0, frame.world_m is not None and not image_only)
