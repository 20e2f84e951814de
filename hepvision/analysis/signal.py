"""Reading a template's counted signal on one side of one frame, with where it came from.

Two values per reading: ``value``, the honest measurement (NaN when the camera cannot show it;
ROM and form rules use only this), and ``count_value``, what the counter follows: the same
value, or for a hinge angle that cannot be read (the joint foreshortened, the view wrong) its
reach estimate (:func:`~hepvision.kinematics.reach.reach_angle`), whose timing is right even
where its degrees are not, so repetitions are still counted while their ROM is reported as not
measurable. The counter also follows the reach, not a world reading, while the joint's segments
are foreshortened: world depth of a limb pointing at the camera is the least certain of all,
and one signal drawn from image positions throughout keeps each excursion in one piece.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hepvision.kinematics.angles import FramePoints, Source, measure_angle
from hepvision.kinematics.distances import measure_distance
from hepvision.kinematics.foreshortening import foreshortened
from hepvision.kinematics.measures import measure
from hepvision.kinematics.reach import reach_angle
from hepvision.templates.schema import AngleCounter, DistanceCounter, MeasureCounter
from hepvision.vocabulary import MeasureName, ReadingSource, Side


@dataclass(frozen=True, slots=True)
class SignalReading:
    """One side's counted signal in one frame.

    Attributes:
        value: in the signal's unit; NaN when not measurable (or nobody usable in view).
        confidence: 0..1 (0 when not measurable).
        source: ``image``, ``world`` or ``reach`` (``none`` when nothing was read).
        count_value: what the counter follows (``value``, or the reach estimate).
    """

    value: float
    confidence: float
    source: ReadingSource
    count_value: float


_NONE = SignalReading(math.nan, 0.0, ReadingSource.NONE, math.nan)


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
            if r.source is Source.IMAGE and r.value_deg == r.value_deg:
                return SignalReading(r.value_deg, r.confidence, r.source, r.value_deg)
            reach = math.nan
            if foreshortened(frame.segment_ratio, c.angle, side) or r.value_deg != r.value_deg:
                reach = reach_angle(frame, c.angle, side).value_deg
            count = reach if reach == reach else r.value_deg
            if not count == count:
                return _NONE
            source = r.source if r.value_deg == r.value_deg else Source.REACH
            return SignalReading(r.value_deg, r.confidence, source, count)
        if isinstance(c, DistanceCounter):
            value, conf = measure_distance(frame, c.distance, side)
            return SignalReading(value, conf, ReadingSource.IMAGE, value) if value == value \
                else _NONE
        value = measure(frame, c.measure, side)
        if not value == value:
            return _NONE
        world = frame.world_m is not None and c.measure is not MeasureName.KNEE_VALGUS
        return SignalReading(value, 1.0, ReadingSource.WORLD if world else ReadingSource.IMAGE,
                             value)
