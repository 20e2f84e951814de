"""The patient's neutral: a short capture (3 s by default) of the patient holding still in
neutral (standing, or the template's start posture), read as the template's counted signal.

The value is the median of the honest reading (``SignalReader``'s ``value``: NaN where the
view cannot show the signal) over the frames in which it was measured, per side; the template's
side decides which sides count (both sides' mean for ``both`` / ``alternating`` / ``either``).
It is stored as the patient's template overrides (``neutral``; on the server the prescription's
``neutral_deg``), so it is versioned with the prescription: ROM is then reported relative to it
as well as absolute, and the counter's rest level starts from it.

Refused (:class:`NeutralError`) when the signal is measured in under
:data:`MIN_MEASURED_SHARE` of the frames, or the patient moved: the spread (10th to 90th
percentile) above :data:`MAX_SPREAD_HYSTERESES` template hystereses (a still patient's pose
jitter spans up to ~9 deg of knee flexion on the shared clips; a repetition is several times
the counter's minimum amplitude).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hepvision.analysis.signal import SignalReader
from hepvision.calibration.learn import counter_hysteresis
from hepvision.errors import HepvisionError
from hepvision.kinematics.angles import FramePoints
from hepvision.kinematics.foreshortening import SegmentTracker
from hepvision.pose.types import PoseResult
from hepvision.templates import ExerciseTemplate, HoldCounter
from hepvision.vocabulary import Side, TemplateSide

#: Default capture length (s).
NEUTRAL_SECONDS = 3.0
MIN_MEASURED_SHARE = 0.6
MAX_SPREAD_HYSTERESES = 3.0


class NeutralError(HepvisionError):
    """A neutral capture that cannot give a neutral (not measured, or not still)."""


@dataclass(frozen=True, slots=True)
class Neutral:
    """A neutral capture of one exercise's counted signal (its unit).

    Attributes:
        value: the neutral the template keeps (see the module doc).
        sides: side -> median reading (NaN: not measured on that side).
        frames: frames captured; measured: frames where the signal was read.
    """

    exercise_id: str
    signal: str
    unit: str
    value: float
    sides: dict[Side, float]
    frames: int
    measured: int


def capture_neutral(results: list[PoseResult], template: ExerciseTemplate,
                    seconds: float = NEUTRAL_SECONDS) -> Neutral:
    """The neutral from the first ``seconds`` of ``results`` with a person in view.

    Raises:
        NeutralError: a hold template, nobody in view, not measured, or not still.
    """
    counter = template.counter
    if isinstance(counter, HoldCounter):
        raise NeutralError(f"{template.id!r} is a timed hold: it has no counted signal")
    seen = [r for r in results if r.detected]
    if not seen:
        raise NeutralError("nobody was in view during the neutral capture")
    t0 = seen[0].timestamp_ms
    window = [r for r in seen if r.timestamp_ms - t0 < seconds * 1000.0]
    reader, segments = SignalReader(counter), SegmentTracker()
    sides = _sides(TemplateSide(template.side))
    readings = np.full((len(window), len(sides)), np.nan)
    for i, r in enumerate(window):
        frame = FramePoints.from_result(r, segments=segments)
        for j, side in enumerate(sides):
            readings[i, j] = reader.read(frame, side).value
    per_frame = np.array([np.nanmean(row) if np.isfinite(row).any() else np.nan
                          for row in readings])
    measured = per_frame[np.isfinite(per_frame)]
    name, unit = template.signal_name, template.signal_unit.value
    if measured.size < MIN_MEASURED_SHARE * len(window):
        raise NeutralError(f"{name} was measured in {measured.size} of {len(window)} frames: "
                           f"face the camera as the template's view asks ({template.view}) "
                           "with the whole limb in view")
    lo, hi = np.percentile(measured, [10.0, 90.0])
    limit = MAX_SPREAD_HYSTERESES * counter_hysteresis(template)
    if hi - lo > limit:
        raise NeutralError(f"{name} moved {hi - lo:.3g} {unit} during the capture (at most "
                           f"{limit:.3g}): hold still in neutral for {seconds:g} s")
    medians = {s: float(np.nanmedian(readings[:, j])) if np.isfinite(readings[:, j]).any()
               else math.nan for j, s in enumerate(sides)}
    return Neutral(template.id, name, unit, round(float(np.median(measured)), 1), medians,
                   len(window), int(measured.size))


def _sides(side: TemplateSide) -> tuple[Side, ...]:
    return {TemplateSide.LEFT: (Side.LEFT,), TemplateSide.RIGHT: (Side.RIGHT,)}.get(
        side, (Side.LEFT, Side.RIGHT))

