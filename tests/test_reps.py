"""Repetition state machine and the template-free counter."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hepvision.reps import CounterSettings, CounterState, RepStateMachine, count_periodic

SET = CounterSettings(start=30.0, turn=65.0, hysteresis=5.0, min_amplitude=35.0,
                      min_dwell_ms=100, setup_ms=500)


def _reps_signal(n, period_ms=2500, rest_ms=1500, peak=90.0, base=5.0, dt=33):
    t = np.arange(0, rest_ms + n * period_ms + rest_ms, dt)
    u = t - rest_ms
    inside = (u >= 0) & (u < n * period_ms)
    x = np.full(t.shape, base)
    x[inside] = base + (peak - base) * (0.5 - 0.5 * np.cos(2 * np.pi * u[inside] / period_ms))
    return t, x


def _run(machine, t, x):
    for a, b in zip(t, x, strict=True):
        machine.update(int(a), float(b))
    machine.finish(int(t[-1]))
    return machine


@given(n=st.integers(1, 12), period=st.integers(1200, 4000), peak=st.floats(75, 150),
       jitter=st.floats(0.0, 4.9), seed=st.integers(0, 1000), rising=st.booleans())
@settings(max_examples=60, deadline=None)
def test_counts_n_repetitions_exactly_despite_jitter_below_hysteresis(
        n, period, peak, jitter, seed, rising):
    t, x = _reps_signal(n, period_ms=period, peak=peak)
    rng = np.random.default_rng(seed)
    x = x + rng.uniform(-jitter / 2, jitter / 2, x.size)  # peak-to-peak below the hysteresis
    sign = 1.0 if rising else -1.0
    s = CounterSettings(30.0 * sign, 65.0 * sign, 5.0, 35.0, 100, 500)
    m = _run(RepStateMachine(s), t, x * sign)
    assert m.reps == n
    assert m.partial_reps == 0


@given(level=st.sampled_from([30.0, 65.0]), seed=st.integers(0, 1000))
@settings(max_examples=30, deadline=None)
def test_jitter_at_a_threshold_never_counts(level, seed):
    t = np.arange(0, 20000, 33)
    x = level + np.random.default_rng(seed).uniform(-2.4, 2.4, t.size)
    assert _run(RepStateMachine(SET), t, x).reps == 0


def test_setup_state_counts_nothing_while_getting_into_position():
    m = RepStateMachine(SET)
    assert m.update(0, 90.0) is None and m.state is CounterState.SETUP
    assert m.update(300, 5.0) is None and m.state is CounterState.SETUP
    m.update(600, 5.0)
    assert m.state is CounterState.REST and m.reps == 0


def test_partial_repetition_reported_not_counted():
    t, x = _reps_signal(3)
    small = np.where(x > 50, 50.0, x)  # never reaches the turn
    m = _run(RepStateMachine(SET), t, small)
    assert m.reps == 0 and m.partial_reps == 3
    assert all(e.reason == "did_not_reach_turn" for e in m.events)


def test_minimum_dwell_rejects_a_spike():
    t = np.arange(0, 6000, 33)
    x = np.full(t.size, 5.0)
    x[60:62] = 90.0  # 66 ms excursion
    assert _run(RepStateMachine(SET), t, x).reps == 0


def test_signal_lost_mid_rep_is_partial_and_resets_to_setup():
    t, x = _reps_signal(1, period_ms=4000)
    x[(t > 2500) & (t < 5000)] = np.nan
    m = _run(RepStateMachine(SET), t, x)
    assert m.reps == 0 and m.events[0].reason == "signal_lost"


def test_rep_timing_and_rom():
    t, x = _reps_signal(1, period_ms=3000, rest_ms=2000)
    m = _run(RepStateMachine(SET), t, x)
    (ev,) = m.events
    assert ev.counted
    assert ev.peak_value == pytest.approx(90.0, abs=0.5)
    assert ev.start_value == pytest.approx(5.0, abs=5.0)
    assert abs(ev.peak_ms - 3500) <= 40
    assert ev.start_ms <= 2400 and ev.end_ms >= 4300


def test_template_free_counter_finds_period_and_count():
    t, x = _reps_signal(7, period_ms=2000)
    noise = np.random.default_rng(0).normal(0, 1.0, (t.size, 1))
    still = np.full((t.size, 1), 10.0) + noise
    out = count_periodic(t, np.hstack([still, x[:, None] + noise]), ["still", "moving"])
    assert out.reps == 7 and out.signal_name == "moving"
    assert out.period_ms == pytest.approx(2000, rel=0.1)


def test_rest_above_the_start_threshold_follows_the_patients_rest_level():
    # Knee flexion from a front camera reads ~33 deg standing: above start (30). The rest
    # threshold follows the measured rest level, so the repetitions still end and count.
    t, x = _reps_signal(4, base=33.0, peak=110.0)
    m = _run(RepStateMachine(SET), t, x)
    assert m.reps == 4


def test_rest_level_is_clamped_to_the_midpoint_to_the_turn():
    # A "rest" at 60 deg is no rest: the effective start stops at (30 + 65) / 2.
    t, x = _reps_signal(3, base=60.0, peak=110.0)
    m = _run(RepStateMachine(SET), t, x)
    assert m.reps == 0


@pytest.mark.parametrize(("fraction", "back_fraction", "counted"),
                         [(0.75, 0.9, True), (0.75, 0.5, False), (0.0, 0.0, True),
                          (0.0, 0.5, True)])
def test_last_repetition_cut_by_the_end_of_stream(fraction, back_fraction, counted):
    """A repetition whose turning point is inside the recording counts at the end of the
    stream once it has come ``finish_return_fraction`` of the way back (default 0: the turn
    alone decides)."""
    t, x = _reps_signal(2, base=5.0, peak=95.0)
    # a third repetition whose return is cut: from 95 back toward start (30) by back_fraction
    t0 = int(t[-1]) + 33
    down = np.linspace(5.0, 95.0, 30)
    up = np.linspace(95.0, 95.0 - back_fraction * (95.0 - 30.0), 30)
    tail = np.concatenate([down, up])
    t = np.concatenate([t, t0 + 33 * np.arange(len(tail))])
    x = np.concatenate([x, tail])
    m = _run(RepStateMachine(dataclasses.replace(SET, finish_return_fraction=fraction)), t, x)
    assert m.reps == (3 if counted else 2)
    assert m.partial_reps == (0 if counted else 1)


def _starting_at(phase, n=3, period_ms=2500, peak=95.0, base=5.0, dt=33):
    """``n`` full repetitions after a first one that is already at ``phase`` (0..1 of its
    cycle, 0.5 = the turning point) when the recording starts."""
    lead = int((1.0 - phase) * period_ms)
    t = np.arange(0, lead + 1000 + n * period_ms + 1500, dt)
    u = t + int(phase * period_ms)
    x = np.full(t.shape, base)
    first = u < period_ms
    x[first] = base + (peak - base) * (0.5 - 0.5 * np.cos(2 * np.pi * u[first] / period_ms))
    v = t - lead - 1000
    inside = (v >= 0) & (v < n * period_ms)
    x[inside] = base + (peak - base) * (0.5 - 0.5 * np.cos(2 * np.pi * v[inside] / period_ms))
    return t, x


def test_a_fragment_seen_from_its_turning_point_on_is_not_a_repetition():
    # A curl that starts flexed: the recording begins at (or just past) the top.
    for phase in (0.45, 0.5, 0.6):
        m = _run(RepStateMachine(SET), *_starting_at(phase))
        assert m.reps == 3, phase
        # the fragment is partial, or over before setup ends; the three full ones count
        assert [e.counted for e in m.events][-3:] == [True, True, True]
        assert all(e.reason in ("started_before_recording", "did_not_reach_turn")
                   for e in m.events[:-3])
        assert all(e.counted for e in m.events[1:])  # the first full repetition counts


def test_a_repetition_seen_before_its_turning_point_counts():
    # A raise that starts mid-ascent: its turning point is inside the recording.
    m = _run(RepStateMachine(SET), *_starting_at(0.3))
    assert m.reps == 4
    assert m.partial_reps == 0
    assert m.events[0].start_value != m.events[0].start_value  # start unseen: NaN


def test_an_excursion_that_never_rested_is_not_counted_at_the_end():
    t, x = _starting_at(0.3, n=0)
    x[t > 1200] = 80.0  # rises past the turn and stays there: never seen at rest
    m = _run(RepStateMachine(SET), t, x)
    assert m.reps == 0


def test_a_rise_whose_patient_then_walks_away_counts():
    # Sit-to-stand (knee flexion falls from 90 seated past the turn at 25), then the patient
    # walks out of the picture: the turning point was recorded, so the repetition counts.
    s = CounterSettings(start=70.0, turn=25.0, hysteresis=5.0, min_amplitude=40.0,
                        min_dwell_ms=100, setup_ms=500)
    t = np.arange(0, 6000, 33)
    x = np.where(t < 2000, 90.0, np.maximum(5.0, 90.0 - (t - 2000) * 0.1))
    x[t > 3800] = np.nan  # out of the picture
    m = RepStateMachine(s)
    for a, b in zip(t, x, strict=True):
        m.update(int(a), float(b))
    assert m.reps == 1 and m.events[0].counted


def test_a_lost_excursion_that_never_reached_the_turn_is_partial():
    t = np.arange(0, 6000, 33)
    x = np.where(t < 2000, 5.0, np.minimum(50.0, 5.0 + (t - 2000) * 0.05))
    x[t > 3500] = np.nan
    m = RepStateMachine(SET)
    for a, b in zip(t, x, strict=True):
        m.update(int(a), float(b))
    assert m.reps == 0 and [e.reason for e in m.events] == ["signal_lost"]
