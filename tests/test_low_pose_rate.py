"""Counting at the pose rates a phone manages (3-15 irregular poses/s) as at 30 frames/s.

The phone page sends a pose whenever its model is free again, so the analysis sees fewer,
irregularly spaced samples. These tests feed synthetic sets (known repetitions, realistic
landmark noise) through the phone's path, :class:`~hepvision.live.session.LiveSession` pose by
pose, at 30 frames/s and subsampled like a busy browser model, and pin each rate assumption the
counter used to make (one test per assumption removed). The shared-clip figures are
``benchmarks/pose_rate.py``'s.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import pytest

from hepvision.filters.offline import smooth_for_summary
from hepvision.live.flow import ExercisePlan, SessionFlow
from hepvision.live.session import LiveSession
from hepvision.phone.analysis import BrowserPose
from hepvision.pose.types import PoseResult
from hepvision.reps import CounterSettings, CounterState, RepStateMachine
from hepvision.synthetic import NoiseModel, synthesize
from hepvision.templates import load_template


def browser_subsample(results: Sequence[PoseResult], rate_hz: float,
                      seed: int) -> list[PoseResult]:
    """The poses a browser model busy 1/rate s x U(0.7, 1.3) after each pose takes."""
    rng = np.random.default_rng(seed)
    times = np.array([r.timestamp_ms for r in results], dtype=np.int64)
    picked = [0]
    while True:
        free_at = times[picked[-1]] + 1000.0 / rate_hz * rng.uniform(0.7, 1.3)
        i = int(np.searchsorted(times, free_at))
        if i >= times.size:
            return [results[j] for j in picked]
        picked.append(i)


def phone_count(template_id: str, results: Sequence[PoseResult]) -> int:
    """The set's count when ``results`` arrive one by one as a phone session's frames."""
    plan = ExercisePlan(load_template(template_id), sets=1, reps=0, rest_s=0.0)
    session = LiveSession(SessionFlow((plan,), ask_pain=False), BrowserPose())
    for r in results:
        session.analyse(r)
    session.flow.source_ended()
    return sum(s.analysis.reps for s in session.flow.finished)


SETS: dict[str, dict[str, float]] = {  # motion/template, view yaw, tempo: a 2.5-s raise, a 3-s squat, 1.2-s jumping jacks
    "shoulder_abduction": dict(yaw_deg=0.0, out_s=1.0, back_s=1.0, rest_s=0.5),
    "squat": dict(yaw_deg=90.0, out_s=1.2, back_s=1.2, rest_s=0.6),
    "jumping_jack": dict(yaw_deg=0.0, out_s=0.45, back_s=0.45, rest_s=0.3),
}


@pytest.mark.parametrize("motion", sorted(SETS))
def test_irregular_low_pose_rates_count_what_30_frames_per_second_count(motion: str) -> None:
    rec = synthesize(motion, reps=6, noise=NoiseModel(), seed=7, **SETS[motion])
    full = phone_count(motion, rec.results)
    assert full == 6
    for rate in (10.0, 7.5, 5.0):
        for seed in range(3):
            poses = browser_subsample(rec.results, rate, seed)
            assert phone_count(motion, poses) == full, (motion, rate, seed, len(poses))


# --- one test per rate assumption removed from the counter -------------------------------

SETTINGS = CounterSettings(start=30.0, turn=65.0, hysteresis=5.0, min_amplitude=35.0,
                           min_dwell_ms=120, setup_ms=500)


def _feed(machine: RepStateMachine, dt_ms: int, values: Sequence[float], t0: int = 0) -> int:
    """Feed ``values`` ``dt_ms`` apart from ``t0``; the time after the last one."""
    t = t0
    for v in values:
        machine.update(t, v)
        t += dt_ms
    return t


def test_one_pose_past_the_turn_is_a_turn_when_poses_are_further_apart_than_the_dwell() -> None:
    """Dwell was measured from the first sample past a threshold, so it took two samples: at
    4 poses/s a turn had to last 250-500 ms. Now a sample stands for half the interval before
    it: one pose 250 ms after the last is past the 120-ms dwell."""
    m = RepStateMachine(SETTINGS)
    _feed(m, 250, [5.0] * 4 + [40.0, 90.0, 5.0])
    assert m.reps == 1


def test_a_descent_past_turn_and_start_between_two_poses_ends_the_repetition_then() -> None:
    """Transitions were made one at a time, each with its own dwell: a return that crossed the
    turn and the start between two poses took two more poses to reach rest (the set could end,
    or the camera check block, first). Now the samples that passed both end it at once."""
    m = RepStateMachine(dataclasses.replace(SETTINGS, min_dwell_ms=200))
    t = _feed(m, 150, [5.0] * 5 + [40.0, 50.0, 90.0, 95.0, 90.0])
    _feed(m, 150, [5.0, 5.0], t0=t)
    assert m.reps == 1 and m.state is CounterState.REST


def test_a_run_of_poses_that_ended_stands_for_its_whole_span() -> None:
    """A single pose past a jumping jack's turn at 10 poses/s: only 50 ms are known when it
    arrives (under the 60-ms dwell), 100 ms once the next pose shows the run ended."""
    m = RepStateMachine(dataclasses.replace(SETTINGS, min_dwell_ms=60))
    _feed(m, 100, [5.0] * 6 + [40.0, 90.0, 5.0, 5.0])
    assert m.reps == 1


def test_no_credit_across_an_unmeasured_pose() -> None:
    """The half interval toward a pose that measured nothing is no evidence: one pose after a
    gap is not a turn (at 30 frames/s this keeps a ramp that reappears past the turn at the end
    of a clip from counting)."""
    m = RepStateMachine(SETTINGS)
    _feed(m, 250, [5.0] * 4 + [40.0, 50.0, math.nan, 90.0])
    assert m.state is CounterState.OUTWARD
    _feed(m, 250, [90.0], t0=2000)
    assert m.state is CounterState.AT_TURN


def test_rest_level_needs_rest_time_not_five_samples() -> None:
    """The rest level waited for five samples at rest: 1 s at 5 poses/s, longer than the
    500-ms setup, so a patient whose rest reads 36 deg (start 30) began 'outward'. Now 130 ms
    of rest are enough at any rate."""
    m = RepStateMachine(SETTINGS)
    _feed(m, 200, [36.0] * 4)
    assert m.state is CounterState.REST
    assert m.effective_start == pytest.approx(46.0)


def test_samples_leaving_rest_are_not_rest() -> None:
    """Every sample seen in the rest state joined the rest level, also those already past the
    start and waiting out the dwell; at a low pose rate they are a large share of the few rest
    samples and raised the start. Now they are left out."""
    m = RepStateMachine(dataclasses.replace(SETTINGS, min_dwell_ms=2000))
    _feed(m, 200, [5.0] * 4 + [42.0] * 8)
    assert m.state is CounterState.REST
    assert m.effective_start == pytest.approx(30.0)


def test_summary_smoothing_keeps_a_sharply_sampled_peak_and_invents_no_long_gap() -> None:
    """The offline smoothing's outlier window (7 samples) and gap fill (5 samples) were in
    samples: at 3 poses/s a 2.3-s window took a peak seen in one sample for an outlier, and
    1.7-s gaps were interpolated. They now span no more time than at camera rates."""
    fs = 3.0
    t = np.arange(30) / fs
    x = 100.0 * np.clip(np.cos(2 * np.pi * (t - 5.0) / 2.0), 0, None) ** 2
    assert smooth_for_summary(x, fs)[15] == pytest.approx(100.0)
    gappy = x.copy()
    gappy[20:23] = np.nan
    assert np.isnan(smooth_for_summary(gappy, fs)[20:23]).all()
    assert np.isfinite(smooth_for_summary(gappy, 30.0)[20:23]).all()
