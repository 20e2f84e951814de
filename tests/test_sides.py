"""Per-side counting and honest readings (issue 10): an alternating exercise counts one side at
a time, a one-sided repetition of a two-sided template is reported on its working side, an
elbow pointing at the camera is read from world landmarks within 10 deg or not at all, and a
count that cannot be trusted says why."""

import dataclasses
import math

import numpy as np

from hepvision.analysis import ExerciseAnalyzer
from hepvision.kinematics import FramePoints, Source, measure_angle
from hepvision.kinematics.foreshortening import SegmentTracker
from hepvision.synthetic import NoiseModel, synthesize
from hepvision.synthetic.motions import JointMotion
from hepvision.templates import load_template
from hepvision.vocabulary import AngleName as A
from hepvision.vocabulary import Side


def _analyse(results, tid):
    a = ExerciseAnalyzer(load_template(tid))
    for r in results:
        a.update(r)
    return a.finish()


def _shifted(results, offset_ms):
    return [dataclasses.replace(r, timestamp_ms=r.timestamp_ms + offset_ms) for r in results]


def test_stance_side_sympathy_is_not_a_second_repetition():
    # The stance hip of a leaning patient reads as abducting in step with the working leg, past
    # the counter's turn: one movement, counted once, on the side that moved more.
    sympathy = (JointMotion(A.HIP_ABDUCTION, Side.RIGHT, 0.0, 26.0),)
    rec = synthesize("standing_hip_abduction", reps=4, yaw_deg=0.0, faults=sympathy)
    res = _analyse(rec.results, "standing_hip_abduction")
    assert res.reps == 4
    assert {r.side for r in res.rep_details} == {"left"}
    assert res.partial_reps == 0


def test_alternating_legs_count_each_repetition_on_its_side():
    left = synthesize("standing_hip_abduction", reps=3, yaw_deg=0.0)
    mirror = (JointMotion(A.HIP_ABDUCTION, Side.LEFT, 0.0, -35.0),
              JointMotion(A.HIP_ABDUCTION, Side.RIGHT, 0.0, 35.0))
    right = synthesize("standing_hip_abduction", reps=2, yaw_deg=0.0, faults=mirror)
    offset = left.results[-1].timestamp_ms + 33
    res = _analyse(left.results + _shifted(right.results, offset), "standing_hip_abduction")
    assert res.reps == 5
    assert [r.side for r in res.rep_details] == ["left"] * 3 + ["right"] * 2
    for r in res.rep_details:  # never a coinciding pair of turning points
        assert abs(r.rom_peak_deg - 35.0) < 6.0


def test_one_arm_raise_with_a_two_arm_template_is_reported_on_its_working_side():
    still_right = (JointMotion(A.SHOULDER_ABDUCTION, Side.RIGHT, 0.0, -150.0),)
    rec = synthesize("shoulder_abduction", reps=3, yaw_deg=0.0, faults=still_right)
    res = _analyse(rec.results, "shoulder_abduction")
    assert res.reps == 3
    for r in res.rep_details:
        assert r.side == "left"
        assert abs(r.rom_peak_deg - 150.0) < 8.0  # the raised arm's, not averaged with the rest
        by_side = {s.side: s for s in r.sides}
        assert by_side["left"].moved and not by_side["right"].moved
        assert abs(by_side["right"].peak_deg) < 15.0


def test_both_arms_raised_together_are_one_bilateral_repetition():
    rec = synthesize("shoulder_abduction", reps=3, yaw_deg=0.0)
    res = _analyse(rec.results, "shoulder_abduction")
    assert res.reps == 3 and {r.side for r in res.rep_details} == {"both"}
    for r in res.rep_details:
        assert {s.side for s in r.sides if s.moved} == {"left", "right"}
        assert r.source in ("image", "world", "mixed") and 0.0 < r.confidence <= 1.0


def test_an_elbow_pointing_at_the_camera_is_read_in_depth_or_not_at_all():
    # Curls seen from the front with landmark noise: around 90 deg the forearm points at the
    # camera. No reading there comes from the image plane; the readings rebuilt in depth (image
    # directions, world only for which way the forearm points) stay within 10 deg RMSE
    # (measured 5.3-5.9 over seeds 4-8; noise-free 4.9, max 8.2), the rest are NaN with a
    # reason; and each repetition's reported peak is within 10 deg of the truth.
    rec = synthesize("elbow_flexion", reps=3, yaw_deg=0.0, noise=NoiseModel(), seed=4)
    tracker = SegmentTracker()
    errors = []
    for i, r in enumerate(rec.results):
        frame = FramePoints.from_result(r, segments=tracker)
        for side in Side:
            truth = float(rec.truth_deg[(A.ELBOW_FLEXION, side)][i])
            reading = measure_angle(frame, A.ELBOW_FLEXION, side)
            if not 60.0 <= truth <= 120.0:
                continue
            if math.isnan(reading.value_deg):
                assert reading.reason is not None
                continue
            assert reading.source is Source.WORLD
            errors.append(reading.value_deg - truth)
    errors = np.asarray(errors)
    assert errors.size > 100
    assert float(np.sqrt(np.mean(errors ** 2))) < 8.0
    # the template asks for a side view; a therapist may allow a front one (the count and ROM
    # then rest on the depth reading above)
    base = load_template("elbow_flexion")
    front_ok = base.model_copy(update={
        "view": "any", "camera": base.camera.model_copy(update={"view_check": "advise"})})
    a = ExerciseAnalyzer(front_ok)
    for r in rec.results:
        a.update(r)
    res = a.finish()
    assert res.reps == 3
    truth_peak = float(np.max(rec.truth_deg[(A.ELBOW_FLEXION, Side.LEFT)]))
    for r in res.rep_details:
        assert abs(r.rom_peak_deg - truth_peak) <= 10.0, (r.rom_peak_deg, truth_peak)


def test_a_movement_the_template_does_not_count_is_said_plainly():
    # Hip abductions seen from the front, scored with the lunge template (side view, knees).
    rec = synthesize("standing_hip_abduction", reps=4, yaw_deg=0.0)
    res = _analyse(rec.results, "lunge")
    check = res.count_check
    assert res.reps == 0 and check is not None
    assert check.template_free_reps >= 2
    assert check.count_confidence == "low"
    text = " ".join(check.notes)
    assert "works best with a side view" in text and "repeated movements were seen" in text


def test_count_check_agrees_on_clean_motion():
    rec = synthesize("squat", reps=4, yaw_deg=90.0)
    res = _analyse(rec.results, "squat")
    check = res.count_check
    assert res.reps == 4 and check.template_free_reps == 4
    assert check.count_confidence == "high" and check.notes == ()
    assert check.measured_share > 0.95
    assert np.all(np.isfinite([r.rom_peak_deg for r in res.rep_details]))


def test_an_exercise_scored_with_the_wrong_template_is_named():
    # Lateral lunges seen from the front, scored with the (side-view) lunge template: no
    # silent 0 - the report names the template that counts them.
    rec = synthesize("lateral_lunge", reps=5, yaw_deg=0.0, noise=NoiseModel(), seed=2)
    res = _analyse(rec.results, "lunge")
    assert res.reps == 0
    notes = " ".join(res.count_check.notes)
    assert "lateral_lunge template counts 5" in notes
    assert "the lunge template needs a side view" in notes


def _cropped(result, bottom):
    """The picture cut at ``bottom`` (share of its height): a webcam too close to the patient."""
    lm = result.landmarks.copy()
    lm[:, 1] = lm[:, 1] / bottom
    out = lm[:, 1] > 1.0
    lm[out, 3] = 0.05
    lm[out, :3] = np.nan
    return dataclasses.replace(result, landmarks=lm,
                               image_height_px=int(result.image_height_px * bottom))


def test_legs_out_of_the_picture_are_counted_from_what_is_in_it():
    # Squats filmed from the front with the lower legs out of the picture: the knee angle is
    # never measurable, so the template counts nothing; the template-free counter, reading the
    # joints in view, counts them, and the report says so and gives them no ROM.
    rec = synthesize("squat", reps=4, yaw_deg=0.0, noise=NoiseModel(), seed=1)
    res = _analyse([_cropped(r, 0.75) for r in rec.results], "squat")
    check = res.count_check
    assert res.reps == 4 and check.template_reps == 0
    assert check.count_method == "template_free" and check.count_confidence == "low"
    assert check.measured_share < 0.6
    assert all(r.counted_by == "template_free" and math.isnan(r.rom_peak_deg)
               for r in res.rep_details)
    assert "no ROM" in " ".join(check.notes)


def test_a_well_framed_set_keeps_the_template_count():
    rec = synthesize("squat", reps=4, yaw_deg=90.0, noise=NoiseModel(), seed=1)
    res = _analyse(rec.results, "squat")
    assert res.count_check.count_method == "template"
    assert all(r.counted_by == "template" for r in res.rep_details)
