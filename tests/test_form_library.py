"""Every library template on synthetic motion: clean motion counts right with no finding; each
form rule (and precaution cap) fires on motion with its fault injected. Parametrised over the
library, so a template or rule without a synthetic motion and fault fails here."""

import pytest

from hepvision.analysis import ExerciseAnalyzer
from hepvision.synthetic import NoiseModel, synthesize
from hepvision.synthetic.faults import FAULTS
from hepvision.synthetic.motions import MOTIONS
from hepvision.templates import list_templates, load_template

REPS = 2
VIEW_YAW = {"side": 90.0, "front": 0.0, "any": 90.0}


def _run(tid, fault=None, seed=3):
    t = load_template(tid)
    yaw = VIEW_YAW[t.view] if fault is None or fault.yaw_deg is None else fault.yaw_deg
    if t.is_hold:
        kw = dict(reps=1, hold_s=t.counter.target_s + 3.0, out_s=1.0, back_s=1.0, fps=10.0)
    else:  # with the template's prescribed hold at the peak
        kw = dict(reps=REPS, hold_s=t.counter.hold_s)
    if fault is not None:
        if fault.amplitude is not None:
            kw["amplitude"] = fault.amplitude
        if fault.fast:
            kw.update(out_s=0.4, back_s=0.4)
        if fault.hold_s is not None:
            kw["hold_s"] = fault.hold_s
        kw["faults"] = fault.joints
    rec = synthesize(tid, yaw_deg=yaw, noise=NoiseModel(), seed=seed, **kw)
    a = ExerciseAnalyzer(t)
    feedback = [a.update(r) for r in rec.results]
    return a.finish(), feedback


def _cases():
    for tid in list_templates():
        t = load_template(tid)
        rules = [r.id for r in t.form] + (["cap"] if t.precautions.rom_caps else [])
        for rid in rules:
            yield tid, rid


@pytest.mark.parametrize("tid", list_templates())
def test_clean_motion_counts_and_raises_nothing(tid):
    assert tid in MOTIONS, f"no synthetic motion for template {tid!r}"
    res, feedback = _run(tid)
    t = load_template(tid)
    if t.is_hold:
        assert res.reps == 1 and res.hold_s >= t.counter.target_s
    else:
        assert res.reps == REPS and res.partial_reps == 0
    assert res.findings == ()
    assert all(f.cue is None for f in feedback)


@pytest.mark.parametrize("tid,rule_id", list(_cases()))
def test_injected_fault_triggers_its_rule(tid, rule_id):
    fault = FAULTS.get(tid, {}).get(rule_id)
    assert fault is not None, f"no synthetic fault for {tid}:{rule_id}"
    res, feedback = _run(tid, fault)
    fired = {f.rule_id for f in res.findings}
    if rule_id == "cap":
        assert any(r.startswith("precaution_") for r in fired), fired
        assert all(f.severity == "stop" for f in res.findings if f.rule_id.startswith("prec"))
    else:
        assert rule_id in fired, fired
    assert any(f.cue for f in feedback)
    f = next(f for f in res.findings if rule_id in f.rule_id or rule_id == "cap")
    assert f.message and f.limit == f.limit
