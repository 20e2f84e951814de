"""The session flow: pain, sets, rest, stopping early; and the live engine's frame policy."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from hepvision.analysis import ExerciseAnalyzer
from hepvision.capture.frames import Frame
from hepvision.capture.live import LatestFrameGrabber
from hepvision.live.flow import ExercisePlan, FlowState, SessionFlow
from hepvision.synthetic import VIEW_YAWS_DEG, synthesize
from hepvision.templates import load_template


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def feed(flow: SessionFlow, motion: str = "squat", reps: int = 3) -> None:
    rec = synthesize(motion, reps=reps, yaw_deg=VIEW_YAWS_DEG["side"])
    for result in rec.results:
        analyzer = flow.analyzer
        if analyzer is None:
            return
        flow.on_feedback(analyzer.update(result))


def squat_plan(**kw: object) -> ExercisePlan:
    return ExercisePlan(template=load_template("squat"), **kw)  # type: ignore[arg-type]


def test_sets_rest_and_pain_in_order() -> None:
    clock = FakeClock()
    flow = SessionFlow((squat_plan(sets=2, reps=3, rest_s=20),), clock=clock)
    assert flow.state is FlowState.PAIN_BEFORE
    flow.rate_pain(2)
    assert flow.state is FlowState.ACTIVE
    feed(flow, reps=4)
    assert flow.state is FlowState.REST
    assert flow.finished[0].analysis.reps == 3 and flow.finished[0].ended_by == "target"
    clock.now = 10.0
    flow.tick()
    assert flow.state is FlowState.REST and flow.rest_remaining_s() == pytest.approx(10.0)
    clock.now = 20.5
    flow.tick()
    assert flow.state is FlowState.ACTIVE and flow.set_index == 1
    feed(flow, reps=4)
    assert flow.state is FlowState.PAIN_AFTER
    flow.rate_pain(3)
    assert flow.done and flow.pain_before == 2 and flow.pain_after == 3
    assert flow.total_reps() == 6 and not flow.stopped_early
    assert flow.finished[0].rest_s == 20


def test_pain_at_threshold_ends_the_set_and_is_noted() -> None:
    flow = SessionFlow((squat_plan(sets=3, reps=10, pain_stop_nrs=6),))
    flow.rate_pain(1)
    feed(flow, reps=2)
    flow.rate_pain(5)  # below the threshold: nothing happens
    assert flow.state is FlowState.ACTIVE
    flow.rate_pain(6)
    assert flow.state is FlowState.PAIN_AFTER
    assert flow.stopped_early and "pain 6/10" in (flow.stop_reason or "")
    assert flow.finished[0].ended_by == "pain" and flow.finished[0].analysis.reps == 2


def test_pain_before_at_threshold_skips_the_exercise() -> None:
    flow = SessionFlow((squat_plan(pain_stop_nrs=7),))
    flow.rate_pain(8)
    assert flow.state is FlowState.PAIN_AFTER and flow.stopped_early and not flow.finished


def test_stop_early_keeps_what_was_done() -> None:
    flow = SessionFlow((squat_plan(sets=2, reps=0),), ask_pain=False)
    feed(flow, reps=2)
    flow.stop()
    assert flow.done and flow.stopped_early
    assert flow.total_reps() == 2 and flow.finished[0].ended_by == "stopped"
    with pytest.raises(ValueError):
        flow.rate_pain(11)


def test_next_skips_rest_and_moves_through_a_program() -> None:
    curl = ExercisePlan(template=load_template("elbow_flexion"), sets=1, reps=0)
    flow = SessionFlow((squat_plan(sets=1, reps=0, rest_s=60), curl), ask_pain=False)
    flow.next()  # end the open-ended squat set
    assert flow.state is FlowState.REST and flow.plan.template.id == "elbow_flexion"
    flow.next()  # skip the rest
    assert flow.state is FlowState.ACTIVE and flow.exercise_index == 1
    flow.source_ended()
    assert flow.done and [s.exercise_index for s in flow.finished] == [0, 1]


def test_grabber_keeps_only_the_newest_frame() -> None:
    image = np.zeros((4, 4, 3), np.uint8)
    release = threading.Event()

    def frames():
        for i in range(5):
            yield Frame(image, i * 10, i)
        release.wait(2.0)

    grabber = LatestFrameGrabber(frames()).start()
    time.sleep(0.2)
    got = grabber.get(timeout=1.0)
    assert got is not None and got.frame.index == 4
    assert grabber.dropped == 4
    release.set()
    assert grabber.get(timeout=1.0) is None
    assert grabber.finished
    grabber.stop()


def test_flow_uses_a_fresh_analyzer_per_set() -> None:
    made: list[ExerciseAnalyzer] = []

    def factory(template):  # noqa: ANN001, ANN202
        made.append(ExerciseAnalyzer(template))
        return made[-1]

    flow = SessionFlow((squat_plan(sets=2, reps=0, rest_s=0),), analyzer_factory=factory,
                       ask_pain=False)
    flow.next()
    flow.tick()
    assert len(made) == 2 and flow.analyzer is made[1]
