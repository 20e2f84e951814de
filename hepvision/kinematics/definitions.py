"""The closed set of clinical angles and the names that tag every reading.

Conventions (see CLINICAL.md): neutral-zero method, anatomical position = 0 deg, signed;
extension / hyperextension beyond neutral is negative. Each angle belongs to one anatomical
plane; a 2D reading of it is only meaningful from a camera facing that plane.
"""

from __future__ import annotations

from enum import Enum

from hepvision.pose.types import PoseLandmark as L


class Side(str, Enum):
    """Body side of a reading (the patient's own left / right)."""

    LEFT = "left"
    RIGHT = "right"


class Plane(str, Enum):
    """Anatomical plane a motion happens in."""

    SAGITTAL = "sagittal"
    FRONTAL = "frontal"
    LIMB = "limb"  # hinge joints (elbow): the plane of the two segments, wherever it points


class AngleName(str, Enum):
    """The closed set of clinical angles hepvision measures.

    Sign conventions (positive direction first):
        shoulder_flexion: humerus forward/up against the trunk line; extension negative. Sagittal.
        shoulder_abduction: humerus sideways/up against the trunk line; adduction negative. Frontal.
        elbow_flexion: 180 - interior(shoulder, elbow, wrist); 0 = straight. Limb plane.
        hip_flexion: thigh forward against the trunk line (reference: trunk); extension negative.
        hip_abduction: thigh away from the midline against the pelvis; adduction negative.
        knee_flexion: 180 - interior(hip, knee, ankle), negative when hyperextended. Sagittal.
        ankle_dorsiflexion: foot (heel to toe) against the shank, 0 with the foot at 90 deg to the
            shank; plantarflexion negative. Sagittal.
        trunk_flexion: trunk line (hip to shoulder) forward of the vertical; extension negative.
            Gravity-referenced (assumes a level camera). Sagittal; not sided (both sides give it).
        trunk_lateral_lean: trunk line toward the reading's side, off the vertical. Frontal;
            gravity-referenced.
        pelvic_drop: the reading's side hip below the other, pelvis line against the horizontal.
            Frontal; gravity-referenced.
    """

    SHOULDER_FLEXION = "shoulder_flexion"
    SHOULDER_ABDUCTION = "shoulder_abduction"
    ELBOW_FLEXION = "elbow_flexion"
    HIP_FLEXION = "hip_flexion"
    HIP_ABDUCTION = "hip_abduction"
    KNEE_FLEXION = "knee_flexion"
    ANKLE_DORSIFLEXION = "ankle_dorsiflexion"
    TRUNK_FLEXION = "trunk_flexion"
    TRUNK_LATERAL_LEAN = "trunk_lateral_lean"
    PELVIC_DROP = "pelvic_drop"

    @property
    def plane(self) -> Plane:
        return ANGLE_PLANE[self]

    @property
    def gravity_referenced(self) -> bool:
        """True for angles measured against the vertical (not invariant to camera roll)."""
        return self in (
            AngleName.TRUNK_FLEXION, AngleName.TRUNK_LATERAL_LEAN, AngleName.PELVIC_DROP
        )


ANGLE_PLANE: dict[AngleName, Plane] = {
    AngleName.SHOULDER_FLEXION: Plane.SAGITTAL,
    AngleName.SHOULDER_ABDUCTION: Plane.FRONTAL,
    AngleName.ELBOW_FLEXION: Plane.LIMB,
    AngleName.HIP_FLEXION: Plane.SAGITTAL,
    AngleName.HIP_ABDUCTION: Plane.FRONTAL,
    AngleName.KNEE_FLEXION: Plane.SAGITTAL,
    AngleName.ANKLE_DORSIFLEXION: Plane.SAGITTAL,
    AngleName.TRUNK_FLEXION: Plane.SAGITTAL,
    AngleName.TRUNK_LATERAL_LEAN: Plane.FRONTAL,
    AngleName.PELVIC_DROP: Plane.FRONTAL,
}


class DistanceName(str, Enum):
    """Normalised distances a template may count instead of an angle (dimensionless).

        heel_lift: heel above the toe (image vertical), divided by the shank length.
        wrist_height: wrist above the shoulder (image vertical), divided by the trunk length.
        hip_height: hip above the ankle (image vertical), divided by the thigh length
            (bridges: lying on the back, side view).
    """

    HEEL_LIFT = "heel_lift"
    WRIST_HEIGHT = "wrist_height"
    HIP_HEIGHT = "hip_height"


class Unmeasurable(str, Enum):
    """Why a reading is NaN."""

    NO_POSE = "no_pose"
    NOT_VISIBLE = "landmarks_not_visible"
    WRONG_VIEW = "view_cannot_show_plane"
    OUT_OF_PLANE = "segment_out_of_plane"
    DEGENERATE = "degenerate_geometry"
    FORESHORTENED = "segment_foreshortened"


#: Landmark ids per side: shoulder, elbow, wrist, hip, knee, ankle, heel, toe (foot index).
_SIDE_IDS = {
    Side.LEFT: (L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST, L.LEFT_HIP, L.LEFT_KNEE,
                L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
    Side.RIGHT: (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST, L.RIGHT_HIP, L.RIGHT_KNEE,
                 L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
}


def side_ids(side: Side) -> tuple[int, ...]:
    """(shoulder, elbow, wrist, hip, knee, ankle, heel, toe) landmark ids of ``side``."""
    return tuple(int(i) for i in _SIDE_IDS[side])


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


def angle_landmarks(name: AngleName, side: Side) -> tuple[int, ...]:
    """Landmark ids whose visibility gates a reading of ``name`` on ``side``."""
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
