"""The session record: one typed result of a session, whatever ran it.

``hepvision track`` (a clip or a recording), ``hepvision live`` (the desktop window or a
headless kiosk), ``hepvision app`` (the browser page) and the Python API
(:class:`hepvision.Tracker`, :func:`hepvision.track`) all end with a :class:`SessionRecord`,
built in one place (:func:`hepvision.session.build.build_record`) from the analysis of each set
(:class:`~hepvision.analysis.ExerciseAnalysis`) and the run's context (template after the
prescription and the patient's overrides, backend and model hashes, pain ratings, prescription
version). What leaves the machine is derived from it, each in one function
(:mod:`hepvision.session.serialize`): the upload record, the ``track`` report and the saved
live session.

A record holds, per exercise (:class:`ExerciseRecord`), the plan it ran (:class:`ExercisePlan`:
the template with the patient's overrides applied, and the dosage) and its sets
(:class:`SetRecord`), each with its analysis: repetitions with per-side ROM, the measurement's
source and confidence, form findings and the count check.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from hepvision import __version__
from hepvision.analysis.records import ExerciseAnalysis, Repetition
from hepvision.pose.cost import CpuTimings
from hepvision.pose.types import ModelSelection
from hepvision.session.offline import StageTimings
from hepvision.templates import ExerciseTemplate
from hepvision.vocabulary import DEFAULT_PAIN_STOP_NRS


class SetEnd(StrEnum):
    """Why a set ended."""

    TARGET = "target"            # the prescribed repetitions were reached
    PATIENT = "patient"          # the patient ended it ("next")
    STOPPED = "stopped"          # the session was stopped
    PAIN = "pain"                # a pain rating at or above the stop
    SOURCE_ENDED = "source ended"  # the camera or clip ended


@dataclass(frozen=True, slots=True)
class ExercisePlan:
    """One exercise of a session as it is to be run.

    Attributes:
        template: the exercise template, with the patient's overrides applied when a
            prescription has some (``template.overrides_sha256`` is then set).
        sets: number of sets.
        reps: repetitions per set; 0 = open-ended (the set ends when the patient or the source
            ends it, e.g. a replayed clip).
        hold_s: for timed holds, seconds per repetition (0 for counted exercises).
        rest_s: rest between sets, seconds.
        pain_stop_nrs: a pain rating (0-10 NRS) at or above this ends the set; plans built
            from a template take the template's ``precautions.pain_stop_nrs``.
    """

    template: ExerciseTemplate
    sets: int = 1
    reps: int = 10
    hold_s: float = 0.0
    rest_s: float = 30.0
    pain_stop_nrs: int = DEFAULT_PAIN_STOP_NRS


@dataclass(frozen=True, slots=True)
class SetRecord:
    """A set that ended, with its analysis and why it ended.

    Attributes:
        exercise_index: index of its exercise in the session's plans.
        set_index: 0-based set number within the exercise.
        analysis: what the analysis measured (repetitions, findings, count check).
        ended_by: why it ended.
        rest_s: the rest that followed it (None after the last set).
        pain_during: the pain rating that ended it (``ended_by`` is ``pain``), else None.
    """

    exercise_index: int
    set_index: int
    analysis: ExerciseAnalysis
    ended_by: SetEnd
    rest_s: float | None = None
    pain_during: int | None = None


@dataclass(frozen=True, slots=True)
class ExerciseRecord:
    """One exercise of a session: the plan it ran and the sets done (at least one)."""

    plan: ExercisePlan
    sets: tuple[SetRecord, ...]

    @property
    def template(self) -> ExerciseTemplate:
        return self.plan.template

    @property
    def exercise_id(self) -> str:
        return self.plan.template.id

    @property
    def reps(self) -> int:
        """Repetitions counted over all sets."""
        return sum(s.analysis.reps for s in self.sets)

    @property
    def view(self) -> str:
        """The most frequent view of its sets (the earliest set's on a tie)."""
        return Counter(s.analysis.view for s in self.sets).most_common(1)[0][0]

    @property
    def repetitions(self) -> tuple[Repetition, ...]:
        return tuple(r for s in self.sets for r in s.analysis.rep_details)


@dataclass(frozen=True, slots=True)
class RunContext:
    """What a run ran with, besides its frames and plans.

    Attributes:
        backend: the pose backend's name.
        model_sha256: model file name -> SHA-256 of the models it ran (empty for a replay of a
            recording that does not say).
        prescription_version: the version of the therapist's prescription the session
            followed; None when it followed none (an exercise picked by hand, a program file).
        app_version: hepvision's version.
        max_frames: a frame limit given to the run (``track --max-frames``), else None.
        threaded_decode: frames were decoded on a reader thread (``track``).
        pose_model: the landmark model variant and threads the backend ran, and how they were
            chosen (None for a backend without a choice, e.g. a replay).
    """

    backend: str
    model_sha256: Mapping[str, str]
    prescription_version: int | None = None
    app_version: str = __version__
    max_frames: int | None = None
    threaded_decode: bool = True
    pose_model: ModelSelection | None = None


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Where the frames of a clip (or recording) came from."""

    path: str
    kind: str
    fps: float
    width_px: int
    height_px: int


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """The frames a run read (``track`` and the API's clips; None for a live camera).

    Attributes:
        source: the clip or recording.
        frames: frames read; frames_with_pose: frames in which a person was found.
        duration_ms: media time the frames cover (last - first timestamp + one frame).
    """

    source: SourceInfo
    frames: int
    frames_with_pose: int
    duration_ms: int


@dataclass(frozen=True, slots=True)
class RunTimings:
    """How fast the run went (timing fields: they differ between two runs of one clip).

    Attributes:
        processed_frames: frames that went through pose and analysis.
        processing_fps: frames processed per second of wall time.
        dropped_frames: camera frames skipped because the pipeline was busy (live only).
        latency_ms_median, latency_ms_p95: capture-to-feedback time (live only, else 0).
        stages: per-stage wall times of an offline run (None for live runs).
        cpu: CPU time per frame by stage, cores used and resident memory (None when fewer
            than two frames were processed).
    """

    processed_frames: int
    processing_fps: float
    dropped_frames: int = 0
    latency_ms_median: float = 0.0
    latency_ms_p95: float = 0.0
    stages: StageTimings | None = None
    cpu: CpuTimings | None = None


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One session: what was done, measured and felt, and what it ran with.

    Attributes:
        session_id: the client-generated id (the upload's idempotency key).
        started_at, ended_at: timezone-aware wall-clock times (for a clip, ``ended_at`` is
            ``started_at`` plus the clip's duration).
        context: backend, model hashes, prescription version, app version.
        plans: every exercise the session was to run (also those never reached).
        exercises: the exercises with at least one set done, in order.
        pain_before, pain_after: 0-10 NRS ratings (None when not asked or skipped).
        stopped_early, stop_reason: whether (and why) the session ended before its plan did.
        timings: speed figures of the run.
        media: the clip's frames (None for a camera session).
    """

    session_id: uuid.UUID
    started_at: datetime
    ended_at: datetime
    context: RunContext
    plans: tuple[ExercisePlan, ...]
    exercises: tuple[ExerciseRecord, ...]
    pain_before: int | None
    pain_after: int | None
    stopped_early: bool
    stop_reason: str | None
    timings: RunTimings
    media: MediaInfo | None = None

    @property
    def total_reps(self) -> int:
        """Repetitions counted over every exercise and set."""
        return sum(e.reps for e in self.exercises)

    @property
    def duration_s(self) -> float:
        return max(0.0, (self.ended_at - self.started_at).total_seconds())

    @property
    def repetitions(self) -> tuple[Repetition, ...]:
        """Every counted repetition, in session order."""
        return tuple(r for e in self.exercises for r in e.repetitions)

    @property
    def prescription_version(self) -> int | None:
        return self.context.prescription_version


def finite_or_none(value: float) -> float | None:
    """``value``, or None when it is NaN or infinite (not measured)."""
    return value if math.isfinite(value) else None
