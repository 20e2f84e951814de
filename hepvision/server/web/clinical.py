"""Normal active ROM end-range values shown as reference bands on the ROM charts.

Norkin & White, *Measurement of Joint Motion*, App. A (AAOS and AMA values), as summarised in
``CLINICAL.md``. A band runs from the lower to the higher published normal end of the arc
(equal ends: a line). Normals vary with age and sex (Soucie et al., Haemophilia 2011): the band
is a reference, not a pass/fail line. Angles without a published joint range (trunk lean,
pelvic drop: posture measures) have no band. Neutral-zero degrees, like every ROM value.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class NormalRange:
    low_deg: float
    high_deg: float
    source: str


_NORKIN = "Norkin & White App. A (AAOS / AMA)"

NORMAL_END_RANGE: dict[str, NormalRange] = {
    "shoulder_flexion": NormalRange(180.0, 180.0, _NORKIN),
    "shoulder_abduction": NormalRange(170.0, 180.0, _NORKIN),
    "elbow_flexion": NormalRange(140.0, 150.0, _NORKIN),
    "hip_flexion": NormalRange(120.0, 125.0, _NORKIN),
    "hip_abduction": NormalRange(45.0, 45.0, _NORKIN),
    "knee_flexion": NormalRange(135.0, 140.0, _NORKIN),
    "ankle_dorsiflexion": NormalRange(20.0, 20.0, _NORKIN),
}


def normal_range(angle_name: str) -> NormalRange | None:
    """The normal end-range band of ``angle_name``, or ``None`` when there is none."""
    return NORMAL_END_RANGE.get(angle_name)
