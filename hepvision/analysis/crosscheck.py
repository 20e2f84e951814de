"""Cross-checking a template's count with the template-free counter, and saying plainly why a
count may be wrong.

Every run counts twice: the template's counter (clinical thresholds on one signal, per side)
and the template-free counter (the period of whichever joint moves most, no thresholds; see
:mod:`hepvision.reps.free`). The rule that picks the reported count, in order:

1. The template's count is reported. It is the only one whose repetitions have a clinical
   meaning (they reached the template's turn); the template-free count is evidence about it.
2. Except offline (a clip or recording: nobody can fix the camera any more), when the template
   counted nothing, its signal was measured in under :data:`MIN_MEASURED_SHARE` of the frames
   with a person (the legs out of the picture at the bottom of every squat, a camera too close)
   and the template-free counter, reading whatever joints are in view, found repetitions: then
   the template-free count is reported (``count_method = "template_free"``), its repetitions
   carry no ROM, and the note says why. A live set keeps its rule that nothing is counted while
   the camera setup is wrong: it gets the note and the setup advice instead.
3. ``count_confidence`` is ``high`` when the two agree, ``medium`` when they differ by one,
   ``low`` otherwise, and ``low`` whenever rule 2 applies or could have.

The notes say what a patient or therapist can act on: the camera sees the wrong view for the
template; movements were seen but did not reach the template's turn (with the movement's
period); the counted signal was measurable in only part of the set. When a set counted nothing
although something was clearly repeated, the library's templates that count the same joint are
tried on the recording, and those whose count matches the template-free one are named ("these
look like lateral lunges ..., which the lateral_lunge template counts from the front").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from hepvision.analysis.free import count_reps_template_free
from hepvision.analysis.records import CountCheck, Repetition
from hepvision.analysis.sides import SideStream
from hepvision.pose.types import PoseResult
from hepvision.templates.loader import list_templates, load_template
from hepvision.templates.schema import AngleCounter, ExerciseTemplate
from hepvision.vocabulary import CountConfidence, CountMethod, View

#: Below this share of the frames with a person, the counted signal's count is low confidence.
MIN_MEASURED_SHARE = 0.6
#: The template-free count that makes a count of 0 worth explaining.
MIN_UNEXPLAINED = 2

_NEEDS = {"side": "a side view", "front": "a front view", "any": "any view"}
_VIEW_WORDS = {View.FRONT: "the front", View.SIDE_LEFT: "the side", View.SIDE_RIGHT: "the side",
               View.OBLIQUE: "an angle", View.UNKNOWN: "an unknown angle"}


@dataclass(frozen=True, slots=True)
class _Evidence:
    template_reps: int
    free_reps: int
    free_signal: str
    free_period_ms: float
    measured_share: float


#: Counts a template on the set's recording (the analyzer's own counter, no cross-check).
Recount = Callable[[ExerciseTemplate], int]


def cross_check(template: ExerciseTemplate, results: Sequence[PoseResult], reps: int,
                partials: Sequence[Repetition], streams: Sequence[SideStream],
                frames_with_pose: int, view: View, recount: Recount | None = None,
                setup_message: str | None = None, offline: bool = True) -> CountCheck:
    """The count check of one analysed set (see the module docstring); ``recount`` lets it
    try other templates on an unexplained set (None: no suggestion); ``setup_message``: the
    camera-setup advice that held counting back most often, if any; ``offline``: a clip or
    recording (rule 2 applies), not a live set."""
    free = count_reps_template_free(results)
    free_peaks = tuple(int(t) for t in free.peak_ms)
    measured = 0
    if streams:
        finite = np.zeros(len(streams[0].raw), dtype=bool)
        for s in streams:
            finite |= np.isfinite(np.asarray(s.raw, dtype=np.float64))
        measured = int(finite.sum())
    share = measured / frames_with_pose if frames_with_pose else 0.0
    ev = _Evidence(reps, free.reps, free.signal_name, free.period_ms, share)
    diff = abs(reps - free.reps)
    confidence = CountConfidence.HIGH if diff == 0 else (
        CountConfidence.MEDIUM if diff == 1 else CountConfidence.LOW)
    if share < MIN_MEASURED_SHARE:
        confidence = CountConfidence.LOW
    use_free = offline and reps == 0 and share < MIN_MEASURED_SHARE and free.reps > 0
    notes = _notes(template, ev, partials, view, use_free, setup_message)
    if reps == 0 and free.reps >= MIN_UNEXPLAINED and recount is not None and not use_free:
        hint = suggest_template(template, free.signal_name, free.reps, view, recount)
        if hint:
            notes.append(hint)
    return CountCheck(reps, free.reps, free.signal_name, confidence, round(share, 3),
                      tuple(notes), CountMethod.TEMPLATE_FREE if use_free else CountMethod.TEMPLATE,
                      free_peaks, free.period_ms)


def _notes(template: ExerciseTemplate, ev: _Evidence, partials: Sequence[Repetition],
           view: View, use_free: bool, setup_message: str | None) -> list[str]:
    notes = []
    wrong = _wrong_view(template, view)
    if wrong:
        notes.append(wrong)
    signal = template.signal_name.replace("_", " ")
    if ev.measured_share < MIN_MEASURED_SHARE:
        setup = f' The camera setup said: "{setup_message}"' if setup_message else ""
        then = (f" The count is the template-free counter's ({ev.free_reps}, from "
                f"{_pretty(ev.free_signal)}); those repetitions have no ROM."
                if use_free else " The count may miss repetitions.")
        notes.append(f"The {signal} could be measured in only {ev.measured_share:.0%} of the "
                     "frames with a person in view (part of the body out of the picture, "
                     f"hidden, or pointing at the camera).{setup}{then}")
    if ev.template_reps == 0 and ev.free_reps >= MIN_UNEXPLAINED and not use_free:
        period = f" about every {ev.free_period_ms / 1000:.1f} s" \
            if ev.free_period_ms == ev.free_period_ms else ""
        reason = (f"; {len(partials)} of them started but did not reach the template's turn"
                  if partials else "")
        notes.append(f"{ev.free_reps} repeated movements were seen ({_pretty(ev.free_signal)}"
                     f"{period}) but none counted as a {template.name.lower()}{reason}. "
                     "Check that the exercise and the camera view match the template.")
    elif abs(ev.template_reps - ev.free_reps) >= 2 and ev.free_reps > 0 and not use_free:
        notes.append(f"The template counted {ev.template_reps} and the template-free counter "
                     f"{ev.free_reps} ({_pretty(ev.free_signal)}); the template's count is "
                     "reported.")
    return notes


def _wrong_view(template: ExerciseTemplate, view: View) -> str | None:
    needs = template.view
    sideways = view in (View.SIDE_LEFT, View.SIDE_RIGHT)
    if needs == "side" and view is View.FRONT or needs == "front" and sideways:
        verb = "needs" if template.camera.view_check == "block" else "works best with"
        return (f"The {template.name.lower()} template {verb} a {needs} view; the camera saw "
                f"the patient from {_VIEW_WORDS[view]}.")
    return None


def _pretty(signal: str) -> str:
    if not signal:
        return "no clear joint"
    name, _, side = signal.rpartition("_")
    return f"{side} {name.replace('_', ' ')}" if side in ("left", "right") else signal


def suggest_template(template: ExerciseTemplate, free_signal: str, free_reps: int, view: View,
                     recount: Recount) -> str | None:
    """Name the library templates that count what was seen: those counting the same joint
    angle as the template-free counter's signal, whose count on this recording is within one of
    the template-free count."""
    angle = free_signal.rsplit("_", 1)[0]
    matches = []
    for tid in list_templates():
        if tid == template.id:
            continue
        other = load_template(tid)
        c = other.counter
        if not isinstance(c, AngleCounter) or c.angle.value != angle:
            continue
        n = recount(other)
        if n >= MIN_UNEXPLAINED and abs(n - free_reps) <= 1:
            matches.append((abs(n - free_reps), tid, other, n))
    if not matches:
        return None
    _, tid, other, n = min(matches, key=lambda m: (m[0], m[1]))
    return (f"This looks like {other.name.lower()}, seen from {_VIEW_WORDS[view]}: the {tid} "
            f"template counts {n} of them ({_NEEDS[other.view]}); the {template.id} template "
            f"needs {_NEEDS[template.view]}.")
