"""A 3D skeleton with adult segment lengths, posed by clinical joint angles (forward kinematics).

Body frame: x = the patient's left, y = up, z = anterior (right-handed), metres, origin at the
hip midpoint. Each joint angle is applied as a rotation of its child segment in its parent's
frame, so the angle between the segments equals the commanded angle exactly (the ground truth
for the kinematics tests). This is the generator's own model, independent of
:mod:`hepvision.kinematics`, which measures angles from the resulting landmarks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from hepvision.kinematics.definitions import AngleName, Side
from hepvision.pose.types import NUM_LANDMARKS
from hepvision.pose.types import PoseLandmark as L


@dataclass(frozen=True, slots=True)
class SegmentLengths:
    """Adult segment lengths in metres (about 1.75 m stature; Winter's proportions)."""

    half_hip_width_m: float = 0.12
    half_shoulder_width_m: float = 0.19
    trunk_m: float = 0.50
    upper_arm_m: float = 0.30
    forearm_m: float = 0.26
    hand_m: float = 0.09
    thigh_m: float = 0.43
    shank_m: float = 0.43
    heel_back_m: float = 0.05
    toe_forward_m: float = 0.15
    ankle_height_m: float = 0.07
    #: The shoulder's rise with the arm raised above shoulder height (scapulohumeral rhythm,
    #: as measured on real front-view abduction clips); 0 gives a fixed shoulder.
    scapular_rise_m: float = 0.048


def rot_x(theta_rad: np.ndarray) -> np.ndarray:
    """(T, 3, 3) rotations about x: turns y toward z."""
    c, s = np.cos(theta_rad), np.sin(theta_rad)
    o, z = np.ones_like(c), np.zeros_like(c)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1),
                     np.stack([z, s, c], -1)], -2)


def rot_y(theta_rad: np.ndarray) -> np.ndarray:
    """(T, 3, 3) rotations about y: turns z toward x."""
    c, s = np.cos(theta_rad), np.sin(theta_rad)
    o, z = np.ones_like(c), np.zeros_like(c)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1),
                     np.stack([-s, z, c], -1)], -2)


def rot_z(theta_rad: np.ndarray) -> np.ndarray:
    """(T, 3, 3) rotations about z: turns x toward y."""
    c, s = np.cos(theta_rad), np.sin(theta_rad)
    o, z = np.ones_like(c), np.zeros_like(c)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1),
                     np.stack([z, z, o], -1)], -2)


def _apply(r: np.ndarray, v: tuple[float, float, float]) -> np.ndarray:
    return r @ np.asarray(v, dtype=np.float64)


def pose_skeleton(
    angles_deg: dict[tuple[AngleName, Side], np.ndarray],
    root: np.ndarray,
    lengths: SegmentLengths | None = None,
    forearm_frontal: bool = False,
    extras_deg: dict[tuple[str, Side], np.ndarray] | None = None,
) -> np.ndarray:
    """Landmark positions (T, 33, 3) in the body frame (metres) for joint-angle trajectories.

    Args:
        angles_deg: (T,) degrees per (angle, side); missing entries are 0 (anatomical position).
            Trunk flexion is read from the left side; lean and pelvic drop from the left side
            (the right side's value is its negative).
        root: (T, 3, 3) orientation of the pelvis in the body frame (standing: identity).
        forearm_frontal: elbow flexion turns the forearm in the frontal plane (overhead press)
            instead of forward (curl).
        extras_deg: (T,) values per (name, side) of motions outside the clinical angle set:
            ``shoulder_rotation`` (external rotation of the humerus, deg), ``trunk_rotation``
            (shoulders turned about the trunk axis, left shoulder back positive, deg; read from
            the left side), ``knee_valgus`` (the knee collapsed medially: the shank turned so
            the ankle lies lateral of the knee, at any knee flexion, deg), ``shoulder_elevation``
            (a shrug: the shoulder raised beyond its natural rise with the arm, centimetres).
    """
    ln = lengths or SegmentLengths()
    n = root.shape[0]
    a = _Trajectories(angles_deg, extras_deg or {}, np.zeros(n))
    out = np.zeros((n, NUM_LANDMARKS, 3))
    pelvis = root @ rot_z(-a.ang(AngleName.PELVIC_DROP))
    trunk_flex = rot_x(a.ang(AngleName.TRUNK_FLEXION))
    trunk_sag = pelvis @ trunk_flex  # the thighs' reference: hip flexion is against the trunk
    trunk = (root @ trunk_flex @ rot_z(-a.ang(AngleName.TRUNK_LATERAL_LEAN))
             @ rot_y(a.extra("trunk_rotation")))
    sm = _apply(trunk, (0.0, ln.trunk_m, 0.0))
    for lid, offset in _HEAD_M.items():
        out[:, lid] = sm + _apply(trunk, offset)
    for side in Side:
        ids = _ids(side)
        _pose_arm(out, ids, side, a, trunk, sm, ln, forearm_frontal)
        _pose_leg(out, ids, side, a, pelvis, trunk_sag, ln)
    return out


#: Head landmarks' offsets from the shoulder midpoint in the trunk's frame (metres).
_HEAD_M: dict[int, tuple[float, float, float]] = {
    L.NOSE: (0.0, 0.22, 0.10), L.LEFT_EYE_INNER: (0.015, 0.25, 0.085),
    L.LEFT_EYE: (0.03, 0.25, 0.08), L.LEFT_EYE_OUTER: (0.045, 0.25, 0.07),
    L.RIGHT_EYE_INNER: (-0.015, 0.25, 0.085), L.RIGHT_EYE: (-0.03, 0.25, 0.08),
    L.RIGHT_EYE_OUTER: (-0.045, 0.25, 0.07), L.LEFT_EAR: (0.075, 0.23, 0.0),
    L.RIGHT_EAR: (-0.075, 0.23, 0.0), L.MOUTH_LEFT: (0.025, 0.18, 0.09),
    L.MOUTH_RIGHT: (-0.025, 0.18, 0.09),
}


@dataclass(frozen=True, slots=True)
class _Trajectories:
    """The joint-angle and extra trajectories of :func:`pose_skeleton` ((T,) each), read as 0
    where not given."""

    angles_deg: Mapping[tuple[AngleName, Side], np.ndarray]
    extras: Mapping[tuple[str, Side], np.ndarray]
    zero: np.ndarray

    def ang(self, name: AngleName, side: Side = Side.LEFT) -> np.ndarray:
        """A clinical angle in radians."""
        return np.radians(self.angles_deg.get((name, side), self.zero))

    def extra(self, name: str, side: Side = Side.LEFT,
              scale: float = np.pi / 180.0) -> np.ndarray:
        """An extra motion times ``scale`` (degrees to radians unless told)."""
        return self.extras.get((name, side), self.zero) * scale


def _pose_arm(out: np.ndarray, ids: dict[str, int], side: Side, a: _Trajectories,
              trunk: np.ndarray, sm: np.ndarray, ln: SegmentLengths,
              forearm_frontal: bool) -> None:
    """Shoulder, elbow, wrist and hand landmarks of ``side`` into ``out`` (``sm``: the shoulder
    midpoint, ``trunk``: the trunk's orientation)."""
    sgn = 1.0 if side is Side.LEFT else -1.0
    shoulder = sm + _apply(trunk, (sgn * ln.half_shoulder_width_m, 0.0, 0.0))
    shoulder = shoulder + (trunk @ np.array([0.0, 1.0, 0.0])) * a.extra(
        "shoulder_elevation", side, 0.01)[:, None]
    humerus = (trunk @ rot_z(sgn * a.ang(AngleName.SHOULDER_ABDUCTION, side))
               @ rot_x(-a.ang(AngleName.SHOULDER_FLEXION, side)))
    # Scapulohumeral rhythm: the shoulder rises as the arm rises (the generator's own
    # model, from the arm's elevation against the trunk: 0 below 15 deg, full at 90 deg).
    arm_down = -(trunk @ np.array([0.0, 1.0, 0.0]))
    cos_elev = np.einsum("ti,ti->t", humerus @ np.array([0.0, -1.0, 0.0]), arm_down)
    elev_deg = np.degrees(np.arccos(np.clip(cos_elev, -1.0, 1.0)))
    rise = ln.scapular_rise_m * np.clip((elev_deg - 15.0) / 75.0, 0.0, 1.0)
    shoulder = shoulder + (trunk @ np.array([0.0, 1.0, 0.0])) * rise[:, None]
    elbow = shoulder + _apply(humerus, (0.0, -ln.upper_arm_m, 0.0))
    if forearm_frontal:
        forearm = humerus @ rot_z(sgn * a.ang(AngleName.ELBOW_FLEXION, side))
    else:
        forearm = (humerus @ rot_y(sgn * a.extra("shoulder_rotation", side))
                   @ rot_x(-a.ang(AngleName.ELBOW_FLEXION, side)))
    wrist = elbow + _apply(forearm, (0.0, -ln.forearm_m, 0.0))
    out[:, ids["shoulder"]] = shoulder
    out[:, ids["elbow"]] = elbow
    out[:, ids["wrist"]] = wrist
    out[:, ids["index"]] = wrist + _apply(forearm, (0.0, -ln.hand_m, 0.01))
    out[:, ids["pinky"]] = wrist + _apply(forearm, (sgn * 0.02, -ln.hand_m * 0.85, -0.01))
    out[:, ids["thumb"]] = wrist + _apply(forearm, (0.0, -0.05, 0.03))


def _pose_leg(out: np.ndarray, ids: dict[str, int], side: Side, a: _Trajectories,
              pelvis: np.ndarray, trunk_sag: np.ndarray, ln: SegmentLengths) -> None:
    """Hip, knee, ankle and foot landmarks of ``side`` into ``out`` (``trunk_sag``: the trunk's
    sagittal orientation, the thigh's reference)."""
    sgn = 1.0 if side is Side.LEFT else -1.0
    hip = _apply(pelvis, (sgn * ln.half_hip_width_m, 0.0, 0.0))
    thigh = (trunk_sag @ rot_z(sgn * a.ang(AngleName.HIP_ABDUCTION, side))
             @ rot_x(-a.ang(AngleName.HIP_FLEXION, side)))
    knee = hip + _apply(thigh, (0.0, -ln.thigh_m, 0.0))
    # Valgus after flexion: the shank swings medially at the knee (ankle lateral of the
    # knee) by the same angle at any depth; applied before flexion it would vanish as the
    # knee bends toward 90 deg.
    shank = (thigh @ rot_x(a.ang(AngleName.KNEE_FLEXION, side))
             @ rot_z(sgn * a.extra("knee_valgus", side)))
    ankle = knee + _apply(shank, (0.0, -ln.shank_m, 0.0))
    foot = shank @ rot_x(-a.ang(AngleName.ANKLE_DORSIFLEXION, side))
    out[:, ids["hip"]] = hip
    out[:, ids["knee"]] = knee
    out[:, ids["ankle"]] = ankle
    out[:, ids["heel"]] = ankle + _apply(foot, (0.0, -ln.ankle_height_m, -ln.heel_back_m))
    out[:, ids["toe"]] = ankle + _apply(foot, (0.0, -ln.ankle_height_m, ln.toe_forward_m))


def _ids(side: Side) -> dict[str, int]:
    p = "LEFT_" if side is Side.LEFT else "RIGHT_"
    names = {"shoulder": "SHOULDER", "elbow": "ELBOW", "wrist": "WRIST", "index": "INDEX",
             "pinky": "PINKY", "thumb": "THUMB", "hip": "HIP", "knee": "KNEE",
             "ankle": "ANKLE", "heel": "HEEL", "toe": "FOOT_INDEX"}
    return {k: int(L[p + v]) for k, v in names.items()}
