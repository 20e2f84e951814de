"""Synthetic recordings: a posed skeleton seen by a pinhole camera, as pose-backend records.

:func:`synthesize` returns the same :class:`~hepvision.pose.types.PoseResult` records a pose
backend produces (normalised image landmarks with visibility, world landmarks in metres) plus
the ground truth: the commanded joint angles per frame and the repetition peak times.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hepvision.kinematics.definitions import AngleName, Side
from hepvision.pose.types import NUM_LANDMARKS, PoseResult
from hepvision.synthetic.camera import PinholeCamera
from hepvision.synthetic.motions import MOTIONS, JointMotion, Posture, rep_profile
from hepvision.synthetic.skeleton import pose_skeleton

#: Named camera yaws (deg): the body turned against the camera.
VIEW_YAWS_DEG: dict[str, float] = {"front": 0.0, "side": 90.0, "oblique": 45.0}


@dataclass(frozen=True, slots=True)
class NoiseModel:
    """Landmark noise like a monocular pose model's.

    Attributes:
        image_sigma_px: Gaussian jitter of visible image landmarks, pixels.
        occluded_sigma_px: jitter of landmarks on the body's far side (turned away), pixels.
        world_sigma_m: Gaussian jitter of world x and y, metres.
        depth_sigma_m: Gaussian jitter of world z (monocular depth is poorer), metres.
        landmark_dropout: probability a landmark is unseen in a frame (NaN, visibility 0.05).
        frame_dropout: probability nobody is found in a frame.
    """

    image_sigma_px: float = 2.5
    occluded_sigma_px: float = 5.0
    world_sigma_m: float = 0.01
    depth_sigma_m: float = 0.03
    landmark_dropout: float = 0.01
    frame_dropout: float = 0.02


@dataclass(frozen=True, slots=True)
class SyntheticRecording:
    """A generated recording and its ground truth.

    Attributes:
        motion_id: the exercise imitated.
        yaw_deg: body yaw against the camera (0 front, +90 right side toward camera).
        fps: frame rate.
        results: one PoseResult per frame.
        truth_deg: (T,) commanded angle per (angle, side), degrees; gravity-referenced angles
            (trunk flexion, lean, pelvic drop) are NaN for lying postures.
        rep_peak_ms: (reps,) int64 peak time of each repetition.
        reps: number of full repetitions generated.
    """

    motion_id: str
    yaw_deg: float
    fps: float
    results: list[PoseResult]
    truth_deg: dict[tuple[AngleName, Side], np.ndarray] = field(repr=False)
    rep_peak_ms: np.ndarray
    reps: int

    @property
    def timestamps_ms(self) -> np.ndarray:
        return np.array([r.timestamp_ms for r in self.results], dtype=np.int64)


def synthesize(
    motion_id: str,
    *,
    reps: int = 5,
    yaw_deg: float = 90.0,
    fps: float = 30.0,
    noise: NoiseModel | None = None,
    seed: int = 0,
    setup_s: float = 1.5,
    out_s: float = 1.2,
    hold_s: float = 0.0,
    back_s: float = 1.2,
    rest_s: float = 0.6,
    amplitude: float = 1.0,
    camera: PinholeCamera | None = None,
    faults: tuple[JointMotion, ...] = (),
) -> SyntheticRecording:
    """Generate ``reps`` repetitions of motion ``motion_id`` seen at ``yaw_deg``.

    The patient first stands at rest for ``setup_s``; ``amplitude`` scales every excursion
    (below 1 for partial repetitions). ``noise=None`` gives exact landmarks. ``faults``: extra
    excursions on the same profile, added to the motion's own (form faults, see
    :mod:`hepvision.synthetic.faults`).
    """
    motion = MOTIONS[motion_id]
    cam = camera or PinholeCamera()
    cycle = out_s + hold_s + back_s + rest_s
    duration = setup_s + reps * cycle + 0.5
    n = int(round(duration * fps))
    times_s = np.arange(n) / fps
    profile, peaks_s = rep_profile(times_s, start_s=setup_s, reps=reps, out_s=out_s,
                                   hold_s=hold_s, back_s=back_s, rest_s=rest_s)
    joint_deg: dict[tuple[AngleName | str, Side], np.ndarray] = {}
    for jm in motion.joints:
        joint_deg[(jm.angle, jm.side)] = (jm.rest_deg
                                          + amplitude * (jm.peak_deg - jm.rest_deg) * profile)
    for jm in faults:
        key = (jm.angle, jm.side)
        joint_deg[key] = (joint_deg.get(key, 0.0) + jm.rest_deg
                          + (jm.peak_deg - jm.rest_deg) * profile)
    angles: dict[tuple[AngleName, Side], np.ndarray] = {}
    extras: dict[tuple[str, Side], np.ndarray] = {}
    for (name, side), value in joint_deg.items():
        if isinstance(name, AngleName):
            angles[(name, side)] = value
        else:
            extras[(name, side)] = np.asarray(value) * np.ones(n)
    body = pose_skeleton(angles, motion.posture.root(n), forearm_frontal=motion.forearm_frontal,
                         extras_deg=extras)
    world = cam.to_world(body, yaw_deg)
    image = cam.project(world)
    truth = _truth(angles, n, motion.posture)
    results = _to_results(image, cam.seen_world(world), times_s, cam, yaw_deg, noise,
                          seed)
    return SyntheticRecording(motion_id, yaw_deg, fps, results, truth,
                              np.round(peaks_s * 1000).astype(np.int64), reps)


def _truth(angles: dict[tuple[AngleName, Side], np.ndarray], n: int,
           posture: Posture) -> dict[tuple[AngleName, Side], np.ndarray]:
    truth = {}
    for name in AngleName:
        for side in Side:
            key = (name, side)
            if name is AngleName.TRUNK_FLEXION:
                value = angles.get((name, Side.LEFT), np.zeros(n))
            elif name in (AngleName.TRUNK_LATERAL_LEAN, AngleName.PELVIC_DROP):
                value = angles.get((name, Side.LEFT), np.zeros(n))
                value = value if side is Side.LEFT else -value
            else:
                value = angles.get(key, np.zeros(n))
            if name.gravity_referenced and posture is not Posture.STANDING:
                value = np.full(n, np.nan)
            truth[key] = np.asarray(value, dtype=np.float64)
    return truth


def _far_side_mask(yaw_deg: float) -> np.ndarray:
    """(33,) True for landmarks on the side turned away from the camera."""
    far = np.zeros(NUM_LANDMARKS, dtype=bool)
    if abs(yaw_deg) < 30.0:
        return far
    left_far = yaw_deg > 0  # right side toward the camera
    ids = np.arange(NUM_LANDMARKS)
    left_ids = np.array([1, 2, 3, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31])
    far[left_ids if left_far else np.setdiff1d(np.setdiff1d(ids, left_ids), [0])] = True
    return far


def _to_results(image: np.ndarray, world: np.ndarray, times_s: np.ndarray,
                cam: PinholeCamera, yaw_deg: float, noise: NoiseModel | None,
                seed: int) -> list[PoseResult]:
    n: int = image.shape[0]
    far = _far_side_mask(yaw_deg)
    vis = np.where(far, 0.8, 0.99)
    img = image.copy()
    wld = world.copy()
    vis_t = np.broadcast_to(vis, (n, NUM_LANDMARKS)).copy()
    frame_lost = np.zeros(n, dtype=bool)
    if noise is not None:
        rng = np.random.default_rng(seed)
        sigma_px = np.where(far, noise.occluded_sigma_px, noise.image_sigma_px)
        img[..., 0] += rng.normal(size=(n, NUM_LANDMARKS)) * sigma_px / cam.width_px
        img[..., 1] += rng.normal(size=(n, NUM_LANDMARKS)) * sigma_px / cam.height_px
        wld[..., :2] += rng.normal(size=(n, NUM_LANDMARKS, 2)) * noise.world_sigma_m
        wld[..., 2] += rng.normal(size=(n, NUM_LANDMARKS)) * noise.depth_sigma_m
        vis_t = np.clip(vis_t + rng.normal(size=(n, NUM_LANDMARKS)) * 0.03, 0.0, 1.0)
        lost = rng.random((n, NUM_LANDMARKS)) < noise.landmark_dropout
        img[lost] = np.nan
        wld[lost] = np.nan
        vis_t[lost] = 0.05
        frame_lost = rng.random(n) < noise.frame_dropout
    results = []
    for i in range(n):
        ts = int(round(times_s[i] * 1000))
        if frame_lost[i]:
            results.append(PoseResult.empty(ts, cam.width_px, cam.height_px))
            continue
        lm = np.concatenate([img[i], vis_t[i][:, None]], axis=1).astype(np.float32)
        results.append(PoseResult(ts, lm, wld[i].astype(np.float32), cam.width_px,
                                  cam.height_px, 1.0))
    return results
