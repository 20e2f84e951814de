"""Cue scheduling (one at a time, by priority, with cooldowns) and offline speech (text only
without an engine; non-blocking with one)."""

import os
import stat
import sys
import time

import pytest

from hepvision.form.cues import CueCandidate, CueScheduler
from hepvision.form.speech import Speaker

SAG = CueCandidate(2, "hip_sag", 8000, "Lift your hips.")
LEAN = CueCandidate(3, "trunk_lean", 8000, "Stay upright.")
FAST = CueCandidate(7, "too_fast", 15000, "Slow down.")


def test_one_cue_at_a_time_most_urgent_first():
    s = CueScheduler(min_gap_ms=2500)
    assert s.pick(0, [FAST, LEAN, SAG]) == "Lift your hips."
    assert s.pick(100, [LEAN]) is None  # the first is still being said: dropped, not queued
    assert s.pick(2600, [FAST, LEAN]) == "Stay upright."
    assert s.pick(5200, [FAST]) == "Slow down."


def test_cooldown_per_rule_lets_another_rule_through():
    s = CueScheduler(min_gap_ms=1000)
    assert s.pick(0, [SAG]) == "Lift your hips."
    assert s.pick(3000, [SAG]) is None  # hip_sag cools down for 8 s
    assert s.pick(3000, [SAG, LEAN]) == "Stay upright."  # the next one in priority order
    assert s.pick(8000, [SAG]) == "Lift your hips."  # 8 s after it was last said


def test_muted_scheduler_says_nothing():
    s = CueScheduler(muted=True)
    assert s.pick(0, [SAG]) is None and s.pick(10_000, [LEAN]) is None


def test_analyzer_cues_come_one_at_a_time_with_the_gap():
    from hepvision.analysis import ExerciseAnalyzer
    from hepvision.synthetic import NoiseModel, synthesize
    from hepvision.synthetic.faults import FAULTS
    from hepvision.templates import load_template

    fault = FAULTS["squat"]["trunk_lean"]
    rec = synthesize("squat", reps=3, yaw_deg=90.0, noise=NoiseModel(), seed=3, amplitude=0.77,
                     faults=fault.joints)  # too shallow and leaning: two rules firing
    a = ExerciseAnalyzer(load_template("squat"), cue_gap_ms=2500)
    feedback = [a.update(r) for r in rec.results]
    cued = [(f.timestamp_ms, f.cue) for f in feedback if f.cue]
    found = a.finish().findings_by_rule()
    assert found == {"incomplete_rom": 3, "trunk_lean": 2}
    # Five findings, but one cue at a time: the leaning cue (priority 3) first; the depth cue
    # (priority 6, 15 s cooldown) once, when no other cue was being said.
    assert [c for _, c in cued] == ["Keep your chest up.",
                                    "Sit a little deeper if it is comfortable."]
    assert cued[1][0] - cued[0][0] >= 2500


def test_no_engine_means_text_only_without_error(monkeypatch):
    monkeypatch.setenv("PATH", "")
    sp = Speaker()
    assert not sp.available and sp.engine is None
    assert sp.say("Keep your knees out.") is False
    sp.close()


def test_missing_engine_path_degrades_to_text(tmp_path):
    sp = Speaker(engine=str(tmp_path / "no-such-espeak"))
    assert sp.say("Keep your knees out.") is False  # failed to start: logged, text only
    assert not sp.available


@pytest.mark.skipif(sys.platform == "win32", reason="uses a shell script as the engine")
def test_speaking_does_not_block_and_overlapping_cues_are_dropped(tmp_path):
    log = tmp_path / "said.txt"
    engine = tmp_path / "fake-espeak"
    engine.write_text(f'#!/bin/sh\nsleep 0.6\necho "$@" >> {log}\n')
    engine.chmod(engine.stat().st_mode | stat.S_IXUSR)
    with Speaker(engine=str(engine)) as sp:
        t0 = time.perf_counter()
        assert sp.say("Keep your knees out.") is True
        assert time.perf_counter() - t0 < 0.3  # returned before the engine finished
        assert sp.say("Slow down.") is False  # still speaking the first: dropped
    # close() waited for the cue being spoken
    said = log.read_text()
    assert "Keep your knees out." in said and "Slow down." not in said
    assert "-s" in said.split()  # the words-per-minute option went to the engine


def test_muted_speaker_is_silent(tmp_path):
    engine = tmp_path / "fake-espeak"
    engine.write_text("#!/bin/sh\nexit 0\n")
    engine.chmod(engine.stat().st_mode | stat.S_IXUSR)
    assert os.access(engine, os.X_OK)
    assert Speaker(engine=str(engine), muted=True).say("Hello") is False
