"""The closed set of clinical angles and the names that tag every reading.

Conventions (see CLINICAL.md): neutral-zero method, anatomical position = 0 deg, signed;
extension / hyperextension beyond neutral is negative. Each angle belongs to one anatomical
plane; a 2D reading of it is only meaningful from a camera facing that plane.
"""

from __future__ import annotations

import functools

from hepvision.vocabulary import ANGLE_PLANE, AngleName, DistanceName, Plane, Side, Unmeasurable
from hepvision.vocabulary import PoseLandmark as L

__all__ = ["ANGLE_PLANE", "AngleName", "DistanceName", "Plane", "Side", "Unmeasurable",
           "angle_landmarks", "distance_landmarks", "other", "side_ids"]


#: Landmark ids per side: shoulder, elbow, wrist, hip, knee, ankle, heel, toe (foot index).
_SIDE_IDS = {
    Side.LEFT: (L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST, L.LEFT_HIP, L.LEFT_KNEE,
                L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
    Side.RIGHT: (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST, L.RIGHT_HIP, L.RIGHT_KNEE,
                 L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
}


_SIDE_INTS = {side: tuple(int(i) for i in ids) for side, ids in _SIDE_IDS.items()}


def side_ids(side: Side) -> tuple[int, ...]:
    """(shoulder, elbow, wrist, hip, knee, ankle, heel, toe) landmark ids of ``side``."""
    return _SIDE_INTS[side]


def other(side: Side) -> Side:
    return Side.RIGHT if side is Side.LEFT else Side.LEFT


_S, _E, _W, _H, _K, _A, _HE, _T = range(8)

#: Landmarks (indices into side_ids, or "o" prefixed for the other side) each angle reads.
_ANGLE_PARTS: dict[AngleName, tuple[str, ...]] = {
    AngleName.SHOULDER_FLEXION: ("S", "E", "H"),
    AngleName.SHOULDER_ABDUCTION: ("S", "E", "oS", "H", "oH"),
    AngleName.ELBOW_FLEXION: ("S", "E", "W"),
    AngleName.HIP_FLEXION: ("S", "H", "K"),
    AngleName.HIP_ABDUCTION: ("H", "K", "oH", "S", "oS"),
    AngleName.KNEE_FLEXION: ("H", "K", "A"),
    AngleName.ANKLE_DORSIFLEXION: ("K", "A", "HE", "T"),
    AngleName.TRUNK_FLEXION: ("S", "H"),
    AngleName.TRUNK_LATERAL_LEAN: ("S", "oS", "H", "oH"),
    AngleName.PELVIC_DROP: ("H", "oH"),
}
_PART_INDEX = {"S": _S, "E": _E, "W": _W, "H": _H, "K": _K, "A": _A, "HE": _HE, "T": _T}


@functools.cache
def angle_landmarks(name: AngleName, side: Side) -> tuple[int, ...]:
    """Landmark ids whose visibility gates a reading of ``name`` on ``side`` (computed once
    per pair: it is asked several times a frame)."""
    own, opp = side_ids(side), side_ids(other(side))
    ids = []
    for part in _ANGLE_PARTS[name]:
        if part.startswith("o"):
            ids.append(opp[_PART_INDEX[part[1:]]])
        else:
            ids.append(own[_PART_INDEX[part]])
    return tuple(ids)


_DISTANCE_PARTS: dict[DistanceName, tuple[str, ...]] = {
    DistanceName.HEEL_LIFT: ("HE", "T", "K", "A"),
    DistanceName.WRIST_HEIGHT: ("W", "S", "H"),
    DistanceName.HIP_HEIGHT: ("H", "K", "A"),
}


def distance_landmarks(name: DistanceName, side: Side) -> tuple[int, ...]:
    """Landmark ids whose visibility gates a reading of distance ``name`` on ``side``."""
    own = side_ids(side)
    return tuple(own[_PART_INDEX[p]] for p in _DISTANCE_PARTS[name])
