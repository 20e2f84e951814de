"""``track``: one clip (or recording) through pose and analysis to a session record.

The clip is one open-ended set of one exercise, run through the same
:class:`~hepvision.live.session.LiveSession` as a live session (with no pain questions), so
``track`` and ``live`` on one clip give one record; only the frames are read differently
(decoded ahead on a thread, every frame, timed per stage).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from hepvision.capture.sources import open_source
from hepvision.errors import HepvisionError, NoPoseError
from hepvision.live.flow import SessionFlow
from hepvision.live.session import LiveSession
from hepvision.pose.base import PoseEstimator
from hepvision.pose.factory import create_estimator
from hepvision.pose.recording import ReplayPoseEstimator, load_recording, save_recording
from hepvision.session.offline import PoseRun, run_frames, run_results, video_frames
from hepvision.session.record import (
    ExercisePlan,
    MediaInfo,
    RunTimings,
    SessionRecord,
    SourceInfo,
)
from hepvision.templates import ExerciseTemplate, load_template
from hepvision.vocabulary import PoseBackend

log = logging.getLogger(__name__)

#: A progress callback: ``(frames_done, frames_total_or_None)``.
Progress = Callable[[int, int | None], None]


@dataclass(frozen=True, slots=True)
class TrackOptions:
    """Settings of one ``track`` run (saved in the record).

    ``exercise``: a template id, or a template (e.g. with a patient's overrides applied).
    ``prescription_version``: the prescription version the template follows (None: none).
    ``model``: the landmark model variant or ``auto`` (see ``create_estimator``; None: the
    backend's default, nothing measured).
    """

    exercise: str | ExerciseTemplate
    backend: str = PoseBackend.ONNX.value
    save_landmarks: Path | None = None
    landmarks: Path | None = None
    max_frames: int | None = None
    threaded_decode: bool = True
    prescription_version: int | None = None
    model: str | None = None

    def template(self) -> ExerciseTemplate:
        if isinstance(self.exercise, ExerciseTemplate):
            return self.exercise
        return load_template(self.exercise)


def is_recording(path: str | Path) -> bool:
    return str(path).lower().endswith(".npz")


def track(source_spec: str | Path, options: TrackOptions,
          progress: Progress | None = None, *,
          estimator: PoseEstimator | None = None) -> SessionRecord:
    """Run the whole pipeline over ``source_spec`` and return the session record.

    ``source_spec`` is a video file, a folder of images, a camera index, or a ``.npz``
    landmark recording (replayed through every stage after pose). ``estimator``: a pose
    session to use instead of making one from ``options`` (the caller resets it between
    clips and closes it; batch workers keep one per thread); a recording ignores it.

    Raises:
        HepvisionError: unreadable input, unknown template or backend, or nobody in view.
    """
    template = options.template()
    plan = ExercisePlan(template=template, sets=1, reps=0, rest_s=0.0,
                        pain_stop_nrs=template.precautions.pain_stop_nrs)
    backend = options.backend
    if is_recording(source_spec):
        if backend not in (PoseBackend.ONNX, PoseBackend.REPLAY):
            log.info("%s is a landmark recording: replaying it (no %s model runs)",
                     source_spec, backend)
        return _replay(source_spec, plan, options, progress)
    if backend == PoseBackend.REPLAY and options.landmarks is None:
        raise HepvisionError("--backend replay needs a .npz recording as VIDEO, "
                             "or --landmarks FILE.npz recorded from this video")
    with open_source(source_spec, max_frames=options.max_frames) as src:
        pose = estimator or create_estimator(backend, recording=options.landmarks,
                                             model=options.model, source_fps=src.fps)
        with pose if estimator is None else nullcontext(pose):
            session = _session(plan, pose, options)
            run = run_frames(video_frames(src, threaded=options.threaded_decode),
                             pose, session.analyse, _tick(progress, src.frame_count))
        first = run.results[0] if run.results else None
        kind = type(src).__name__.removesuffix("Source").lower()
        source = SourceInfo(str(source_spec), kind, src.fps,
                            first.image_width_px if first else 0,
                            first.image_height_px if first else 0)
    return _finish(session, run, source, options)


def _replay(source_spec: str | Path, plan: ExercisePlan, options: TrackOptions,
            progress: Progress | None) -> SessionRecord:
    replay = ReplayPoseEstimator(load_recording(source_spec))
    recording = replay.recording
    session = _session(plan, replay, options)
    run = run_results(replay.stream(), session.analyse, _tick(progress, len(recording)))
    first = recording.results[0]
    source = SourceInfo(str(source_spec), "landmarks", recording.fps,
                        first.image_width_px, first.image_height_px)
    return _finish(session, run, source, options)


def _session(plan: ExercisePlan, estimator: PoseEstimator,
             options: TrackOptions) -> LiveSession:
    flow = SessionFlow((plan,), ask_pain=False)
    return LiveSession(flow, estimator, prescription_version=options.prescription_version,
                       max_frames=options.max_frames, threaded_decode=options.threaded_decode)


def _finish(session: LiveSession, run: PoseRun, source: SourceInfo,
            options: TrackOptions) -> SessionRecord:
    _check_pose(run, source.path)
    if options.save_landmarks is not None:
        ctx = session.context
        written = save_recording(options.save_landmarks, run.results, fps=source.fps,
                                 metadata={"source": source.path, "backend": ctx.backend,
                                           "model_sha256": dict(ctx.model_sha256)})
        log.info("landmarks saved to %s", written)
    session.flow.source_ended()
    media = MediaInfo(source, len(run.results), sum(1 for r in run.results if r.detected),
                      _duration_ms(run, source.fps))
    timings = RunTimings(processed_frames=run.timings.frames,
                         processing_fps=run.timings.pipeline_fps, stages=run.timings,
                         cpu=run.cpu)
    ended_at = session.flow.started_at + timedelta(milliseconds=media.duration_ms)
    return session.finish("source ended", timings=timings, media=media, ended_at=ended_at)


def _duration_ms(run: PoseRun, fps: float) -> int:
    """Media time the frames cover: last - first timestamp, plus one frame."""
    results = run.results
    if not results:
        return 0
    duration = results[-1].timestamp_ms - results[0].timestamp_ms
    return duration + (int(round(1000.0 / fps)) if fps > 0 else 0)


def _tick(progress: Progress | None, total: int | None) -> Callable[[int], None] | None:
    if progress is None:
        return None
    return lambda done: progress(done, total)


def _check_pose(run: PoseRun, name: str) -> None:
    frames = len(run.results)
    if frames == 0:
        raise HepvisionError(f"{name}: no frames could be read")
    with_pose = sum(1 for r in run.results if r.detected)
    if with_pose == 0:
        raise NoPoseError(f"{name}: nobody was found in any of {frames} frames; "
                          "make sure the whole body is in view and well lit")
    missing = frames - with_pose
    if missing / frames > 0.2:
        log.warning("%s: nobody in view in %d of %d frames (%.0f%%); counts may be low",
                    name, missing, frames, 100.0 * missing / frames)
