"""Form faults to inject into synthetic motions, one per template form rule, so every rule of
every template is exercised on motion with a known fault (and clean motion raises none).

A :class:`Fault` adds excursions to the motion (on the repetition profile), scales it (too
little range: ``amplitude``, best placed midway between the counter's turn and the rule's
limit, so the repetition still counts), pauses at the top (``hold_s``: a press stopped short
and held), speeds it up (tempo) or changes the camera view (frontal-plane faults such as knee
valgus are only visible from the front).
"""

from __future__ import annotations

from dataclasses import dataclass

from hepvision.kinematics.definitions import AngleName as A
from hepvision.kinematics.definitions import Side
from hepvision.synthetic.motions import JointMotion

L, R = Side.LEFT, Side.RIGHT


@dataclass(frozen=True, slots=True)
class Fault:
    """How to inject one fault (None: the template's default)."""

    joints: tuple[JointMotion, ...] = ()
    amplitude: float | None = None
    fast: bool = False
    yaw_deg: float | None = None
    hold_s: float | None = None


def _j(angle, side, peak, rest=0.0) -> JointMotion:
    return JointMotion(angle, side, rest, peak)


def _both(angle, peak) -> tuple[JointMotion, JointMotion]:
    return _j(angle, L, peak), _j(angle, R, peak)


VALGUS = Fault(_both("knee_valgus", 25.0), yaw_deg=0.0)
FAST = Fault(fast=True)
SHRUG = Fault(_both("shoulder_elevation", 5.0))

#: template id -> rule id -> fault. Precaution caps are named ``cap``.
FAULTS: dict[str, dict[str, Fault]] = {
    "squat": {"knee_valgus": VALGUS, "trunk_lean": Fault((_j(A.TRUNK_FLEXION, L, 25.0),)),
              "incomplete_rom": Fault(amplitude=0.77), "too_fast": FAST},
    "mini_squat": {"knee_valgus": VALGUS, "incomplete_rom": Fault(amplitude=0.75),
                   "too_fast": FAST, "cap": Fault(amplitude=1.3)},
    "sit_to_stand": {"knee_valgus": VALGUS, "incomplete_rom": Fault(amplitude=0.82),
                     "too_fast": FAST},
    "lunge": {"knee_valgus": VALGUS, "trunk_lean": Fault((_j(A.TRUNK_FLEXION, L, 35.0),)),
              "incomplete_rom": Fault(amplitude=0.8)},
    "heel_raise": {"knee_bend": Fault(_both(A.KNEE_FLEXION, 25.0)),
                   "incomplete_rom": Fault(amplitude=0.62)},
    "bridge": {"lumbar_extension": Fault(_both(A.HIP_FLEXION, -20.0)),
               "incomplete_rom": Fault(amplitude=0.78)},
    "straight_leg_raise": {"knee_bend": Fault((_j(A.KNEE_FLEXION, L, 25.0),)),
                           "incomplete_rom": Fault(amplitude=0.7), "cap": Fault(amplitude=1.35)},
    "seated_knee_extension": {"lean_back": Fault((_j(A.TRUNK_FLEXION, L, -25.0),)),
                              "incomplete_rom": Fault(amplitude=0.75), "too_fast": FAST},
    "standing_hip_abduction": {"trunk_lean": Fault((_j(A.TRUNK_LATERAL_LEAN, L, -18.0),)),
                               "hip_hike": Fault((_j(A.PELVIC_DROP, L, -12.0),)),
                               "incomplete_rom": Fault(amplitude=0.68)},
    "standing_hip_extension": {"trunk_lean": Fault((_j(A.TRUNK_FLEXION, L, 25.0),)),
                               "incomplete_rom": Fault(amplitude=0.66)},
    "clamshell": {"incomplete_rom": Fault(amplitude=0.75), "too_fast": FAST},
    "standing_knee_flexion": {"thigh_forward": Fault((_j(A.HIP_FLEXION, L, 35.0),)),
                              "incomplete_rom": Fault(amplitude=0.75), "too_fast": FAST},
    "shoulder_flexion": {"lean_back": Fault((_j(A.TRUNK_FLEXION, L, -22.0),)),
                         "elbow_bend": Fault(_both(A.ELBOW_FLEXION, 45.0)),
                         "incomplete_rom": Fault(amplitude=0.52)},
    "shoulder_abduction": {"shoulder_shrug": SHRUG,
                           "trunk_lean": Fault((_j(A.TRUNK_LATERAL_LEAN, L, -18.0),)),
                           "asymmetry": Fault((_j(A.SHOULDER_ABDUCTION, R, -60.0),)),
                           "incomplete_rom": Fault(amplitude=0.52)},
    "shoulder_press": {"asymmetry": Fault((_j(A.ELBOW_FLEXION, R, 45.0),)),
                       # Turn 35, limit 32: stopped at 33.5 deg and held a second at the top.
                       "incomplete_rom": Fault(amplitude=0.724, hold_s=1.0)},
    "elbow_flexion": {"elbow_drift": Fault(_both(A.SHOULDER_FLEXION, 40.0)),
                      "trunk_swing": Fault((_j(A.TRUNK_FLEXION, L, -18.0),)),
                      "incomplete_rom": Fault(amplitude=0.72), "too_fast": FAST},
    "wall_slide": {"shoulder_shrug": SHRUG,
                   "asymmetry": Fault((_j(A.SHOULDER_ABDUCTION, R, -45.0),)),
                   "incomplete_rom": Fault(amplitude=0.75)},
    "scaption": {"shoulder_shrug": SHRUG, "elbow_bend": Fault(_both(A.ELBOW_FLEXION, 45.0)),
                 "incomplete_rom": Fault(amplitude=0.62)},
    "external_rotation": {"elbow_away": Fault(_both(A.SHOULDER_ABDUCTION, 40.0)),
                          "incomplete_rom": Fault(amplitude=0.65)},
    "push_up": {"hip_sag": Fault(_both(A.HIP_FLEXION, -30.0)),
                "hip_pike": Fault(_both(A.HIP_FLEXION, 40.0)),
                "incomplete_rom": Fault(amplitude=0.8)},
    "jumping_jack": {"asymmetry": Fault((_j(A.SHOULDER_ABDUCTION, R, -70.0),)),
                     "incomplete_rom": Fault(amplitude=0.78)},
    "single_leg_stance": {"pelvic_drop": Fault((_j(A.PELVIC_DROP, L, -12.0),)),
                          "trunk_lean": Fault((_j(A.TRUNK_LATERAL_LEAN, L, -18.0),))},
    # Between the rule's limit (sag 15, pike -18) and the hold's own posture condition
    # (|hip_sag| <= 30): a bigger fault is no plank at all, so the hold, and judging, stops.
    "plank": {"hip_sag": Fault(_both(A.HIP_FLEXION, -22.0)),
              "hip_pike": Fault(_both(A.HIP_FLEXION, 24.0))},
    "trunk_rotation": {"trunk_lean": Fault((_j(A.TRUNK_LATERAL_LEAN, L, 18.0),)),
                       "incomplete_rom": Fault(amplitude=0.7), "too_fast": FAST},
    # Knee turn 60, limit 75: a 90 deg lunge at 0.75 stops at 67.5.
    "lateral_lunge": {"trunk_lean": Fault((_j(A.TRUNK_LATERAL_LEAN, L, 25.0),)),
                      "incomplete_rom": Fault(amplitude=0.75), "too_fast": FAST},
    "step_up": {"trunk_lean": Fault((_j(A.TRUNK_FLEXION, L, 35.0),)), "too_fast": FAST},
    # Rest -10, peak 35 deg; turn 20, limit 28: 0.75 stops at 23.75.
    "side_lying_hip_abduction": {"incomplete_rom": Fault(amplitude=0.75), "too_fast": FAST},
    # The leg lifted (hip 55 + 30 deg); 0.6 of the 110 deg slide (turn 45, limit 90); no
    # 5 s hold.
    "heel_slide": {"heel_off_bed": Fault((_j(A.HIP_FLEXION, R, 30.0),)),
                   "incomplete_rom": Fault(amplitude=0.6), "no_hold": Fault(hold_s=0.0)},
    # Heel lift turn 0.12, limit 0.18: the clean rise peaks near 0.28, 0.6 of it at 0.17.
    "calf_raise_single_leg": {"knee_bend": Fault((_j(A.KNEE_FLEXION, R, 25.0),)),
                              "incomplete_rom": Fault(amplitude=0.6), "too_fast": FAST},
    # Knee turn 45, limit 75: 0.6 of the 100 deg curl stops at 60.
    "hamstring_curl_prone": {"hips_up": Fault((_j(A.HIP_FLEXION, R, 30.0),)),
                             "incomplete_rom": Fault(amplitude=0.6), "too_fast": FAST},
}
