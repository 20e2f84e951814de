"""Synthetic generator: records shaped like pose backends', truth consistent."""

import numpy as np

from hepvision.kinematics import AngleName, Side
from hepvision.pose.types import PoseResult
from hepvision.synthetic import MOTIONS, NoiseModel, synthesize


def test_records_look_like_backend_output():
    rec = synthesize("squat", reps=2, yaw_deg=45.0, noise=NoiseModel(), seed=1)
    assert rec.reps == 2 and len(rec.rep_peak_ms) == 2
    ts = rec.timestamps_ms
    assert np.all(np.diff(ts) > 0)
    for r in rec.results:
        assert isinstance(r, PoseResult)
        assert r.landmarks.shape == (33, 4) and r.landmarks.dtype == np.float32
        assert r.world_landmarks.shape == (33, 3)
        if r.detected:
            vis = r.landmarks[:, 3]
            assert ((vis >= 0) & (vis <= 1)).all()
            hidden = np.isnan(r.landmarks[:, 0])
            assert (vis[hidden] < 0.5).all()  # unseen: NaN with low visibility
    assert any(not r.detected for r in rec.results)  # frame dropouts happen


def test_world_is_metres_with_hip_origin_and_realistic_lengths():
    rec = synthesize("elbow_flexion", reps=1, yaw_deg=0.0)
    w = rec.results[0].world_landmarks
    assert np.allclose((w[23] + w[24]) / 2, 0.0, atol=1e-6)
    assert 0.25 < np.linalg.norm(w[13] - w[11]) < 0.35  # upper arm
    assert 0.38 < np.linalg.norm(w[25] - w[23]) < 0.48  # thigh
    assert w[0, 1] < w[27, 1]  # head above ankle (y down)


def test_truth_peaks_at_rep_peaks():
    rec = synthesize("squat", reps=3, yaw_deg=90.0, fps=30.0)
    knee = rec.truth_deg[(AngleName.KNEE_FLEXION, Side.LEFT)]
    for p in rec.rep_peak_ms:
        i = int(np.argmin(np.abs(rec.timestamps_ms - p)))
        assert knee[i] > 94.0


def test_every_motion_generates():
    for mid in MOTIONS:
        rec = synthesize(mid, reps=1, yaw_deg=90.0)
        assert np.isfinite(rec.results[5].landmarks).all()
