"""Exercise motions for the generator: which joint angles move, from what rest to what peak.

Values are clinically typical (CLINICAL.md ranges); the repetition profile is a raised cosine
from rest to peak, an optional hold, and back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from hepvision.kinematics.definitions import AngleName as A
from hepvision.kinematics.definitions import Side
from hepvision.synthetic.skeleton import rot_x, rot_z


class Posture(str, Enum):
    """Orientation of the body."""

    STANDING = "standing"
    SUPINE = "supine"  # lying on the back
    PRONE = "prone"  # face down (push-up)
    SIDE_LYING = "side_lying"  # on the right side (left on top), facing the camera at yaw 0

    def root(self, n: int) -> np.ndarray:
        """(n, 3, 3) pelvis orientation in the body frame."""
        if self is Posture.SIDE_LYING:
            return rot_z(np.full(n, np.radians(90.0)))
        angle = {Posture.STANDING: 0.0, Posture.SUPINE: -90.0, Posture.PRONE: 90.0}[self]
        return rot_x(np.full(n, np.radians(angle)))


@dataclass(frozen=True, slots=True)
class JointMotion:
    """One joint angle's excursion during a repetition, degrees."""

    angle: A | str
    side: Side
    rest_deg: float
    peak_deg: float


@dataclass(frozen=True, slots=True)
class Motion:
    """A synthetic exercise.

    Attributes:
        id: the exercise template id it imitates.
        posture: body orientation.
        joints: the moving (and held) joint angles; all others stay at 0. A string angle is
            one of the skeleton's extra motions (see :func:`~hepvision.synthetic.skeleton.
            pose_skeleton`).
        forearm_frontal: elbow flexion in the frontal plane (overhead press).
    """

    id: str
    posture: Posture
    joints: tuple[JointMotion, ...]
    forearm_frontal: bool = False


def _both(angle: A | str, rest: float, peak: float) -> tuple[JointMotion, JointMotion]:
    return JointMotion(angle, Side.LEFT, rest, peak), JointMotion(angle, Side.RIGHT, rest, peak)


MOTIONS: dict[str, Motion] = {
    m.id: m
    for m in (
        # Flat feet: ankle dorsiflexion = forward lean of the shank = knee - (hip - trunk).
        Motion("squat", Posture.STANDING, (
            *_both(A.HIP_FLEXION, 0, 95), *_both(A.KNEE_FLEXION, 0, 95),
            *_both(A.ANKLE_DORSIFLEXION, 0, 35), JointMotion(A.TRUNK_FLEXION, Side.LEFT, 0, 35),
        )),
        Motion("mini_squat", Posture.STANDING, (
            *_both(A.HIP_FLEXION, 0, 45), *_both(A.KNEE_FLEXION, 0, 50),
            *_both(A.ANKLE_DORSIFLEXION, 0, 20), JointMotion(A.TRUNK_FLEXION, Side.LEFT, 0, 15),
        )),
        Motion("shoulder_flexion", Posture.STANDING, _both(A.SHOULDER_FLEXION, 0, 150)),
        Motion("shoulder_abduction", Posture.STANDING, _both(A.SHOULDER_ABDUCTION, 0, 150)),
        Motion("elbow_flexion", Posture.STANDING, _both(A.ELBOW_FLEXION, 5, 140)),
        Motion("shoulder_press", Posture.STANDING, (
            *_both(A.SHOULDER_ABDUCTION, 80, 170), *_both(A.ELBOW_FLEXION, 95, 10),
        ), forearm_frontal=True),
        Motion("jumping_jack", Posture.STANDING, (
            *_both(A.SHOULDER_ABDUCTION, 5, 170), *_both(A.HIP_ABDUCTION, 0, 25),
        )),
        Motion("heel_raise", Posture.STANDING, _both(A.ANKLE_DORSIFLEXION, 0, -35)),
        Motion("lunge", Posture.STANDING, (
            JointMotion(A.HIP_FLEXION, Side.LEFT, 20, 85),
            JointMotion(A.KNEE_FLEXION, Side.LEFT, 10, 90),
            JointMotion(A.HIP_FLEXION, Side.RIGHT, -15, -10),
            JointMotion(A.KNEE_FLEXION, Side.RIGHT, 10, 90),
        )),
        Motion("straight_leg_raise", Posture.SUPINE, (
            JointMotion(A.HIP_FLEXION, Side.LEFT, 0, 60),
        )),
        Motion("bridge", Posture.SUPINE, (
            *_both(A.HIP_FLEXION, 50, 0), *_both(A.KNEE_FLEXION, 100, 90),
        )),
        Motion("push_up", Posture.PRONE, (
            *_both(A.SHOULDER_FLEXION, 85, 45), *_both(A.ELBOW_FLEXION, 0, 95),
        )),
        Motion("sit_to_stand", Posture.STANDING, (
            *_both(A.HIP_FLEXION, 90, 0), *_both(A.KNEE_FLEXION, 90, 0),
            JointMotion(A.TRUNK_FLEXION, Side.LEFT, 10, 0),
        )),
        Motion("seated_knee_extension", Posture.STANDING, (
            *_both(A.HIP_FLEXION, 90, 90), *_both(A.KNEE_FLEXION, 90, 0),
        )),
        Motion("standing_hip_abduction", Posture.STANDING, (
            JointMotion(A.HIP_ABDUCTION, Side.LEFT, 0, 35),
        )),
        Motion("standing_hip_extension", Posture.STANDING, (
            JointMotion(A.HIP_FLEXION, Side.LEFT, 0, -22),
        )),
        Motion("clamshell", Posture.SIDE_LYING, (
            *_both(A.HIP_FLEXION, 45, 45), *_both(A.KNEE_FLEXION, 90, 90),
            JointMotion(A.HIP_ABDUCTION, Side.RIGHT, 0, 40),
        )),
        Motion("standing_knee_flexion", Posture.STANDING, (
            JointMotion(A.KNEE_FLEXION, Side.LEFT, 0, 95),
        )),
        Motion("wall_slide", Posture.STANDING, (
            *_both(A.SHOULDER_ABDUCTION, 90, 170), *_both(A.ELBOW_FLEXION, 90, 20),
        ), forearm_frontal=True),
        Motion("scaption", Posture.STANDING, (
            *_both(A.SHOULDER_ABDUCTION, 0, 120), *_both(A.SHOULDER_FLEXION, 0, 20),
        )),
        Motion("external_rotation", Posture.STANDING, (
            *_both(A.ELBOW_FLEXION, 90, 90), *_both("shoulder_rotation", 0, 70),
        )),
        Motion("single_leg_stance", Posture.STANDING, (
            JointMotion(A.HIP_FLEXION, Side.RIGHT, 0, 30),
            JointMotion(A.KNEE_FLEXION, Side.RIGHT, 0, 75),
        )),
        Motion("plank", Posture.PRONE, (
            *_both(A.SHOULDER_FLEXION, 170, 90), *_both(A.ELBOW_FLEXION, 90, 90),
        )),
        Motion("trunk_rotation", Posture.STANDING, (
            JointMotion("trunk_rotation", Side.LEFT, 0, 50),
        )),
        Motion("hip_abduction", Posture.STANDING, (
            JointMotion(A.HIP_ABDUCTION, Side.LEFT, 0, 35),
            JointMotion(A.PELVIC_DROP, Side.LEFT, 0, -5),
            JointMotion(A.TRUNK_LATERAL_LEAN, Side.LEFT, 0, -8),
        )),
        # Left leg leads: feet level 1.0 m apart at the bottom (the trailing leg's abduction
        # solves for it), the pelvis 27 cm lower, the trunk inclined forward.
        Motion("lateral_lunge", Posture.STANDING, (
            JointMotion(A.HIP_ABDUCTION, Side.LEFT, 0, 15),
            JointMotion(A.HIP_FLEXION, Side.LEFT, 0, 70),
            JointMotion(A.KNEE_FLEXION, Side.LEFT, 0, 90),
            JointMotion(A.HIP_ABDUCTION, Side.RIGHT, 0, 50),
            JointMotion(A.HIP_FLEXION, Side.RIGHT, 0, 20),
            JointMotion(A.TRUNK_FLEXION, Side.LEFT, 0, 20),
        )),
        # The counted excursion of the leading (right) leg: foot placed on a 15-20 cm step,
        # then standing tall on it (stepping back down it extends, which is not modelled).
        Motion("step_up", Posture.STANDING, (
            JointMotion(A.HIP_FLEXION, Side.RIGHT, 0, 55),
            JointMotion(A.KNEE_FLEXION, Side.RIGHT, 0, 65),
            JointMotion(A.ANKLE_DORSIFLEXION, Side.RIGHT, 0, 10),
            JointMotion(A.TRUNK_FLEXION, Side.LEFT, 0, 10),
        )),
        # Lying on the right side (left leg on top, resting on the other, about 10 deg
        # adducted), the bottom knee bent for balance; the top leg lifts straight.
        Motion("side_lying_hip_abduction", Posture.SIDE_LYING, (
            JointMotion(A.HIP_ABDUCTION, Side.LEFT, -10, 35),
            JointMotion(A.HIP_FLEXION, Side.RIGHT, 30, 30),
            JointMotion(A.KNEE_FLEXION, Side.RIGHT, 60, 60),
        )),
        # Heel on the bed: with thigh and shank of equal length the hip flexes half as much
        # as the knee.
        Motion("heel_slide", Posture.SUPINE, (
            JointMotion(A.HIP_FLEXION, Side.RIGHT, 0, 55),
            JointMotion(A.KNEE_FLEXION, Side.RIGHT, 0, 110),
        )),
        # Standing on the right leg, the left foot held off the floor behind.
        Motion("calf_raise_single_leg", Posture.STANDING, (
            JointMotion(A.ANKLE_DORSIFLEXION, Side.RIGHT, 0, -35),
            JointMotion(A.KNEE_FLEXION, Side.LEFT, 60, 60),
        )),
        Motion("hamstring_curl_prone", Posture.PRONE, (
            JointMotion(A.KNEE_FLEXION, Side.RIGHT, 0, 100),
        )),
    )
}


def rep_profile(
    times_s: np.ndarray, *, start_s: float, reps: int, out_s: float, hold_s: float,
    back_s: float, rest_s: float,
) -> tuple[np.ndarray, np.ndarray]:
    """0..1 excursion over time and the peak time (s) of each repetition.

    Each repetition: raised-cosine rise over ``out_s``, ``hold_s`` at the peak, raised-cosine
    fall over ``back_s``, ``rest_s`` at rest; the first starts at ``start_s``.
    """
    p = np.zeros_like(times_s)
    peaks = []
    cycle = out_s + hold_s + back_s + rest_s
    for i in range(reps):
        t0 = start_s + i * cycle
        u = times_s - t0
        rise = (u >= 0) & (u < out_s)
        p[rise] = 0.5 - 0.5 * np.cos(np.pi * u[rise] / out_s)
        held = (u >= out_s) & (u < out_s + hold_s)
        p[held] = 1.0
        fall = (u >= out_s + hold_s) & (u < out_s + hold_s + back_s)
        p[fall] = 0.5 + 0.5 * np.cos(np.pi * (u[fall] - out_s - hold_s) / back_s)
        peaks.append(t0 + out_s + hold_s / 2)
    return p, np.array(peaks)
