"""``track``: one clip (or recording) through pose and analysis to a session report."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hepvision.analysis import ExerciseAnalyzer
from hepvision.capture.sources import open_source
from hepvision.errors import HepvisionError, NoPoseError
from hepvision.pose.factory import create_estimator
from hepvision.pose.recording import ReplayPoseEstimator, load_recording, save_recording
from hepvision.session.offline import PoseRun, run_frames, run_results, video_frames
from hepvision.session.report import SourceInfo, build_report
from hepvision.templates import load_template

log = logging.getLogger(__name__)

#: A progress callback: ``(frames_done, frames_total_or_None)``.
Progress = Callable[[int, int | None], None]


@dataclass(frozen=True, slots=True)
class TrackOptions:
    """Settings of one ``track`` run (saved in the report)."""

    exercise_id: str
    backend: str = "onnx"
    save_landmarks: Path | None = None
    landmarks: Path | None = None
    max_frames: int | None = None
    threaded_decode: bool = True


def is_recording(path: str | Path) -> bool:
    return str(path).lower().endswith(".npz")


def track(source_spec: str | Path, options: TrackOptions,
          progress: Progress | None = None) -> dict[str, Any]:
    """Run the whole pipeline over ``source_spec`` and return the session report.

    ``source_spec`` is a video file, a folder of images, a camera index, or a ``.npz``
    landmark recording (replayed through every stage after pose).

    Raises:
        HepvisionError: unreadable input, unknown template or backend, or nobody in view.
    """
    template = load_template(options.exercise_id)
    analyzer = ExerciseAnalyzer(template)
    backend = options.backend
    if is_recording(source_spec):
        if backend not in ("onnx", "replay"):
            log.info("%s is a landmark recording: replaying it (no %s model runs)",
                     source_spec, backend)
        backend = "replay"

    if backend == "replay" and is_recording(source_spec):
        replay = ReplayPoseEstimator(load_recording(source_spec))
        recording = replay.recording
        total = len(recording)
        run = run_results(replay.stream(), analyzer.update, _tick(progress, total))
        first = recording.results[0]
        source = SourceInfo(str(source_spec), "landmarks", recording.fps,
                            first.image_width_px, first.image_height_px)
        info = replay.info
    else:
        if backend == "replay" and options.landmarks is None:
            raise HepvisionError("--backend replay needs a .npz recording as VIDEO, "
                                 "or --landmarks FILE.npz recorded from this video")
        with open_source(source_spec, max_frames=options.max_frames) as src:
            estimator = create_estimator(backend, recording=options.landmarks)
            with estimator:
                total = src.frame_count
                run = run_frames(video_frames(src, threaded=options.threaded_decode),
                                 estimator, analyzer.update, _tick(progress, total))
                info = estimator.info
            first = run.results[0] if run.results else None
            kind = type(src).__name__.removesuffix("Source").lower()
            source = SourceInfo(str(source_spec), kind, src.fps,
                                first.image_width_px if first else 0,
                                first.image_height_px if first else 0)

    _check_pose(run, str(source_spec))
    if options.save_landmarks is not None:
        written = save_recording(options.save_landmarks, run.results, fps=source.fps,
                                 metadata={"source": str(source_spec), "backend": info.name,
                                           "model_sha256": info.model_sha256})
        log.info("landmarks saved to %s", written)
    analysis = analyzer.finish().to_dict()
    settings = {"backend": info.name, "max_frames": options.max_frames,
                "threaded_decode": options.threaded_decode}
    return build_report(exercise_id=template.id, template_sha256=template.content_sha256,
                        analysis=analysis, results=run.results, timings=run.timings,
                        backend=info, source=source, settings=settings)


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
