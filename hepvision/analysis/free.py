"""Template-free counting from pose results, for unknown exercises and researchers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hepvision.kinematics.angles import FramePoints, measure_angle
from hepvision.kinematics.definitions import AngleName, Side
from hepvision.pose.types import PoseResult
from hepvision.reps.free import PeriodicCount, count_periodic

#: The joint signals searched for the dominant periodic motion.
CANDIDATE_ANGLES: tuple[AngleName, ...] = (
    AngleName.KNEE_FLEXION, AngleName.HIP_FLEXION, AngleName.ELBOW_FLEXION,
    AngleName.SHOULDER_FLEXION, AngleName.SHOULDER_ABDUCTION, AngleName.ANKLE_DORSIFLEXION,
)


def count_reps_template_free(results: Sequence[PoseResult]) -> PeriodicCount:
    """Repetitions of whatever joint moves most periodically (see :func:`count_periodic`)."""
    names = [f"{a.value}_{s.value}" for a in CANDIDATE_ANGLES for s in Side]
    values = np.full((len(results), len(names)), np.nan)
    times = np.array([r.timestamp_ms for r in results], dtype=np.int64)
    for i, r in enumerate(results):
        if not r.detected:
            continue
        frame = FramePoints.from_result(r)
        values[i] = [measure_angle(frame, a, s).value_deg for a in CANDIDATE_ANGLES for s in Side]
    if times.size >= 2:
        fs = 1000.0 / float(np.median(np.diff(times)))
    else:
        fs = 30.0
    return count_periodic(times, values, names, fs_hz=fs)


def count_template_free(results: Sequence[PoseResult]) -> int:
    """The number of repetitions :func:`count_reps_template_free` finds (what ``bench reps``
    reports for a clip with no template)."""
    return count_reps_template_free(results).reps
