"""The Python API: :class:`Tracker` for frames you already have, :func:`track` for a clip.

In the spirit of MediaPipe Tasks: options are a frozen dataclass, the running mode is
explicit, timestamps are integer milliseconds that must increase, the tracker is a context
manager, and the result is one typed record (:class:`~hepvision.session.record.SessionRecord`,
the same record ``hepvision track`` and ``hepvision live`` produce)::

    from hepvision import Tracker, TrackerOptions

    with Tracker(TrackerOptions(exercise="squat")) as tracker:
        for image, timestamp_ms in frames:        # BGR uint8 (H, W, 3), increasing ms
            feedback = tracker.process(image, timestamp_ms)
    record = tracker.record
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hepvision.analysis import FrameFeedback
from hepvision.capture.frames import Frame
from hepvision.live.flow import SessionFlow
from hepvision.live.session import LiveSession
from hepvision.pose.base import PoseEstimator
from hepvision.pose.factory import create_estimator
from hepvision.session.record import ExercisePlan, SessionRecord
from hepvision.session.track import TrackOptions
from hepvision.session.track import track as track_clip
from hepvision.templates import ExerciseTemplate, load_template
from hepvision.vocabulary import PoseBackend


class RunningMode(enum.Enum):
    """How frames reach :meth:`Tracker.process`.

    VIDEO: the frames of a clip, every one in order; a timestamp that does not increase is an
    error. LIVE_STREAM: camera frames as they come; a frame not newer than the last processed
    one is skipped (``process`` returns None).
    """

    VIDEO = "video"
    LIVE_STREAM = "live_stream"


@dataclass(frozen=True, slots=True)
class TrackerOptions:
    """Settings of a :class:`Tracker`.

    Attributes:
        exercise: a template id (``hepvision templates list``) or a template (e.g. with a
            patient's overrides applied by :func:`hepvision.templates.apply_overrides`).
        backend: ``onnx`` (default), ``mediapipe``, or ``replay`` (serves ``landmarks``).
        running_mode: :class:`RunningMode` (VIDEO by default).
        landmarks: with ``backend="replay"``: a landmark recording (``.npz``) whose results
            serve the frames by timestamp.
    """

    exercise: str | ExerciseTemplate
    backend: str = PoseBackend.ONNX.value
    running_mode: RunningMode = RunningMode.VIDEO
    landmarks: Path | None = None

    def template(self) -> ExerciseTemplate:
        if isinstance(self.exercise, ExerciseTemplate):
            return self.exercise
        return load_template(self.exercise)


class Tracker:
    """Counts repetitions and measures ROM of one exercise in the frames you give it: one
    open-ended set, no pain questions.

    Raises (constructor): :class:`~hepvision.errors.HepvisionError` for an unknown template or
    backend, or a missing model.
    """

    def __init__(self, options: TrackerOptions) -> None:
        self.options = options
        template = options.template()
        self._estimator: PoseEstimator = create_estimator(options.backend,
                                                          recording=options.landmarks)
        plan = ExercisePlan(template=template, sets=1, reps=0, rest_s=0.0,
                            pain_stop_nrs=template.precautions.pain_stop_nrs)
        self._session = LiveSession(SessionFlow((plan,), ask_pain=False), self._estimator)
        self._last_ms: int | None = None
        self._index = 0
        self._closed = False

    def process(self, image: np.ndarray, timestamp_ms: int) -> FrameFeedback | None:
        """Pose and analysis of one frame: what a display shows (count, signal, state, view,
        setup message, cue). ``image``: BGR uint8 (H, W, 3).

        Raises:
            ValueError: in VIDEO mode, a timestamp not after the previous one; after close.
        """
        if self._closed:
            raise ValueError("this tracker is closed")
        ts = int(timestamp_ms)
        if self._last_ms is not None and ts <= self._last_ms:
            if self.options.running_mode is RunningMode.VIDEO:
                raise ValueError(f"timestamps must increase: got {ts} ms after "
                                 f"{self._last_ms} ms")
            return None
        self._last_ms = ts
        frame = Frame(np.ascontiguousarray(image), ts, self._index)
        self._index += 1
        update = self._session.process(frame)
        return update.feedback if update is not None else None

    def close(self) -> SessionRecord:
        """End the set, release the pose backend, and return the session record."""
        if not self._closed:
            self._closed = True
            try:
                self._session.flow.source_ended()
                self._session.finish("source ended")
            finally:
                self._estimator.close()
        return self.record

    @property
    def record(self) -> SessionRecord:
        """The session record (after :meth:`close`)."""
        record = self._session.record
        if record is None:
            raise ValueError("the record is ready once the tracker is closed")
        return record

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def track(source: str | Path, exercise: str | ExerciseTemplate, *,
          backend: str = PoseBackend.ONNX.value, landmarks: Path | None = None,
          max_frames: int | None = None) -> SessionRecord:
    """The session record of a clip: a video file, a folder of images, or a ``.npz`` landmark
    recording (replayed, no model runs). What ``hepvision track`` reports, typed.

    Raises:
        HepvisionError: unreadable input, unknown template or backend, or nobody in view.
    """
    return track_clip(source, TrackOptions(exercise=exercise, backend=backend,
                                           landmarks=landmarks, max_frames=max_frames))
