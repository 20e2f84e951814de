"""Camera-setup checks on synthetic recordings: while the setup is wrong (wrong view, feet out of
the picture, needed landmarks unseen, nobody there) nothing is counted and the message says
why; once the setup is right, counting proceeds."""

import dataclasses

import numpy as np
import pytest

from hepvision.analysis import ExerciseAnalyzer
from hepvision.form.setup import DEFAULT_FAIL_MS, MSG_FACE, MSG_FEET, MSG_NO_PERSON, SetupChecker
from hepvision.kinematics.angles import FramePoints
from hepvision.pose.types import PoseLandmark as L
from hepvision.pose.types import PoseResult
from hepvision.synthetic import NoiseModel, PinholeCamera, synthesize
from hepvision.templates import load_template


def _rec(tid, **kw):
    return synthesize(tid, reps=2, noise=NoiseModel(), seed=1, **kw).results


def _then(first, second):
    """``second`` played right after ``first`` (timestamps shifted to keep increasing)."""
    shift = first[-1].timestamp_ms + 33
    return first + [dataclasses.replace(r, timestamp_ms=r.timestamp_ms + shift) for r in second]


def _hide(results, ids):
    """The landmarks ``ids`` unseen (NaN with visibility 0.05) in every frame."""
    out = []
    for r in results:
        if not r.detected:
            out.append(r)
            continue
        lm = r.landmarks.copy()
        lm[list(ids), :3] = np.nan
        lm[list(ids), 3] = 0.05
        out.append(dataclasses.replace(r, landmarks=lm))
    return out


def _analyse(tid, results):
    a = ExerciseAnalyzer(load_template(tid))
    return [a.update(r) for r in results], a


def _check_blocked_then_counting(tid, bad, good, message):
    feedback, a = _analyse(tid, _then(bad, good))
    n_bad = len(bad)
    blocked = feedback[:n_bad]
    assert all(f.reps == 0 for f in blocked)
    assert all(f.state == "setup" for f in blocked)  # the counter never left setup
    # A failing check blocks after DEFAULT_FAIL_MS (one bad frame does not stop a set).
    settled = [f.setup_message for f in blocked
               if f.timestamp_ms >= blocked[0].timestamp_ms + DEFAULT_FAIL_MS]
    assert settled.count(message) > 0.9 * len(settled), {m: settled.count(m) for m in settled}
    assert all(f.cue is None for f in blocked)
    after = feedback[n_bad:]
    assert after[-1].reps == 2 and a.finish().reps == 2
    assert sum(f.setup_message is not None for f in after) < 0.05 * len(after)


def test_wrong_view_blocks_until_the_patient_faces_the_camera():
    _check_blocked_then_counting("shoulder_abduction", _rec("shoulder_abduction", yaw_deg=90.0),
                                 _rec("shoulder_abduction", yaw_deg=0.0), MSG_FACE)


def test_feet_out_of_the_picture_block_until_the_patient_steps_back():
    close = PinholeCamera(distance_m=1.2)
    _check_blocked_then_counting("squat", _rec("squat", yaw_deg=90.0, camera=close),
                                 _rec("squat", yaw_deg=90.0), MSG_FEET)


def test_unseen_landmarks_block_and_the_message_names_them():
    hidden = _hide(_rec("shoulder_abduction", yaw_deg=0.0), (L.LEFT_ELBOW, L.RIGHT_ELBOW))
    _check_blocked_then_counting("shoulder_abduction", hidden,
                                 _rec("shoulder_abduction", yaw_deg=0.0),
                                 "Move so the camera can see your shoulders and elbows and hips.")


def test_nobody_in_view():
    empty = [PoseResult.empty(i * 33, 1280, 720) for i in range(60)]
    _check_blocked_then_counting("squat", empty, _rec("squat", yaw_deg=90.0), MSG_NO_PERSON)


def test_one_bad_frame_does_not_block():
    checker = SetupChecker(load_template("squat"))
    good = _rec("squat", yaw_deg=90.0)
    frames = [FramePoints.from_result(r) for r in good[:20] if r.detected]
    size = (1280, 720)
    assert checker.update(frames[0], 0, size).ok
    status = checker.update(None, 33, size)  # the pose model missed one frame
    assert status.ok and status.message is None
    assert checker.update(frames[1], 66, size).ok


@pytest.mark.parametrize("tid", ["squat", "heel_raise"])
def test_advise_only_view_check_counts_with_the_message_shown(tid):
    """``view_check = "advise"`` templates count from the other view but say so."""
    t = load_template(tid)
    assert t.camera.view_check == "advise" and t.view == "side"
    feedback, a = _analyse(tid, _rec(tid, yaw_deg=0.0))
    assert a.finish().reps == 2
    assert any(f.setup_message == "Turn sideways to the camera." for f in feedback)
