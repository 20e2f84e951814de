"""One clip of a batch: ``process_clip(path, out_dir, options)``, with no engine at all.

Everything a batch engine (Dask, a Slurm array, a plain loop) needs is in this function: it
writes the clip's ``track`` report (``hepvision.track-report/1``, the same report ``hepvision
track`` writes) and its landmark recording, then a *done mark*, and returns a
:class:`ClipOutcome` (one row of the summary table). Layout under ``out_dir``::

    reports/<name>.json     the track report
    landmarks/<name>.npz    every frame's pose, replayable with ``hepvision track <npz>``
    done/<name>.json        the stamp it was made with and the summary row (written last)

Every file is written to a temporary name and renamed into place (``os.replace``), and the done
mark is renamed last: a clip has a done mark only when its report and recording are whole, so
a crash at any point (a worker killed, the machine rebooted) leaves either a finished clip or
no final files. A clip whose done mark carries the same stamp (the digest of the pipeline's
code, the model and template SHA-256s, the settings and the clip's size) is skipped: a re-run
after a crash does only the unfinished clips, and a worker that re-runs a finished task
(Dask re-runs tasks whose results were lost with a dead worker) reads the mark instead.

One pose session per worker thread: the ONNX session is made on a thread's first clip and
kept (reset between clips: the tracker forgets the previous clip's person), because a session
costs ~0.3 s and ~40 MB to make. A session tracks one person across frames, so two threads
cannot share one. Other backends make a session per clip, as ``track`` does.

Limits: one process per output folder at a time (two runs into one folder would race on the
same names); a clip's failure is recorded, not retried, until the next run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from hepvision.batch.outcome import ClipOutcome, outcome_from_report
from hepvision.errors import HepvisionError
from hepvision.pose.models import sha256_file
from hepvision.pose.onnx_backend import OnnxPoseEstimator, OnnxPoseOptions
from hepvision.pose.variants import DEFAULT_VARIANT, landmark_file, parse_model
from hepvision.session.report import track_report, write_json
from hepvision.session.track import TrackOptions, is_recording, track
from hepvision.templates import load_template
from hepvision.vocabulary import PoseBackend, PoseModel

__all__ = ["ClipOptions", "ClipPaths", "clip_stamp", "pose_session", "process_clip",
           "read_done"]

log = logging.getLogger(__name__)

#: Stage packages whose source decides a clip's results (their digest is in every stamp).
PIPELINE_PACKAGES = ("analysis", "capture", "filters", "form", "kinematics", "live", "pose",
                     "reps", "session", "templates")
#: Top-level modules of the package that the stages read (names, errors).
PIPELINE_MODULES = ("vocabulary.py", "errors.py")

_SESSIONS: dict[tuple[int, str], OnnxPoseEstimator] = {}
_SESSIONS_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class ClipOptions:
    """Settings of one clip (saved in its done mark).

    ``exercise``: the template id to score the clip with. ``model``: a landmark variant, or
    ``auto`` for the bundled default (``full-f16``): a batch is not real time, so nothing is
    measured and every worker runs the same model on one inference thread per worker thread.
    ``max_frames``: stop each clip after N frames (None: the whole clip).
    """

    exercise: str
    backend: str = PoseBackend.ONNX.value
    model: str = PoseModel.AUTO.value
    max_frames: int | None = None

    def variant(self) -> PoseModel:
        """The landmark variant this batch runs (``auto`` resolves to the default)."""
        chosen = parse_model(self.model)
        return DEFAULT_VARIANT if chosen is PoseModel.AUTO else chosen


@dataclass(frozen=True, slots=True)
class ClipPaths:
    """Where one clip's files go under ``out_dir``."""

    out_dir: Path
    name: str
    report: Path = field(init=False)
    landmarks: Path = field(init=False)
    done: Path = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "report", self.out_dir / "reports" / f"{self.name}.json")
        object.__setattr__(self, "landmarks", self.out_dir / "landmarks" / f"{self.name}.npz")
        object.__setattr__(self, "done", self.out_dir / "done" / f"{self.name}.json")

    def temp(self, final: Path) -> Path:
        """A temporary name beside ``final``, unique to this process and thread."""
        return final.with_name(f".{final.stem}.{os.getpid()}-{threading.get_ident()}.tmp"
                               f"{final.suffix}")


def process_clip(path: str | Path, out_dir: str | Path, options: ClipOptions, *,
                 name: str | None = None) -> ClipOutcome:
    """Track one clip into ``out_dir`` (see the module docstring); never raises.

    ``name`` is the clip's name in ``out_dir`` (default: the file's stem). Any failure (a
    missing or corrupt file, nobody in view, an unknown template, a decoder error) becomes an
    error outcome with the exception's type and message: one bad clip must never end a run of
    thousands, so this boundary catches every ``Exception`` and reports it, unswallowed, in
    the summary row.
    """
    clip = Path(path)
    paths = ClipPaths(Path(out_dir), name or clip.stem)
    started = time.perf_counter()
    try:
        stamp = clip_stamp(clip, options)
        done = read_done(paths, stamp)
        if done is not None:
            return done
        return _track_clip(clip, paths, options, stamp, started)
    except Exception as exc:  # noqa: BLE001 - the batch boundary: every failure is a row
        message = f"{type(exc).__name__}: {exc}" if not isinstance(exc, HepvisionError) \
            else str(exc)
        log.warning("%s: %s", clip, message)
        return ClipOutcome.failed(paths.name, str(clip), options.exercise, message,
                                  wall_s=time.perf_counter() - started, worker=_worker())


def clip_stamp(clip: Path, options: ClipOptions) -> dict[str, Any]:
    """What a finished clip must have been made with to be skipped.

    Raises:
        HepvisionError: the clip or the template does not exist, or the model is unknown.
    """
    if not clip.is_file():
        raise HepvisionError(f"clip not found: {clip}")
    models = ({"recording": sha256_file(clip)} if is_recording(clip)
              else model_digests(options.backend, options.variant().value))
    return {"code_sha256": pipeline_code_digest(), "models": models,
            "template_sha256": load_template(options.exercise).content_sha256,
            "settings": {"exercise": options.exercise, "backend": options.backend,
                         "model": options.variant().value, "max_frames": options.max_frames},
            "clip_bytes": clip.stat().st_size}


def read_done(paths: ClipPaths, stamp: dict[str, Any]) -> ClipOutcome | None:
    """The clip's outcome from its done mark when the mark has ``stamp`` and its report and
    recording are in place; None: the clip must be (re)done."""
    try:
        mark = json.loads(paths.done.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if mark.get("stamp") != stamp or not (paths.report.is_file()
                                          and paths.landmarks.is_file()):
        return None
    return replace(ClipOutcome.from_json(mark["outcome"]), cached=True)


def _track_clip(clip: Path, paths: ClipPaths, options: ClipOptions, stamp: dict[str, Any],
                started: float) -> ClipOutcome:
    for folder in (paths.report.parent, paths.landmarks.parent, paths.done.parent):
        folder.mkdir(parents=True, exist_ok=True)
    tmp_landmarks = paths.temp(paths.landmarks)
    track_options = TrackOptions(exercise=options.exercise, backend=options.backend,
                                 save_landmarks=tmp_landmarks, max_frames=options.max_frames,
                                 model=options.variant().value)
    try:
        record = track(clip, track_options, estimator=pose_session(options.backend,
                                                          options.variant()))
        report = track_report(record)
        os.replace(tmp_landmarks, paths.landmarks)
    finally:
        tmp_landmarks.unlink(missing_ok=True)
    _write_atomic(paths.report, report)
    outcome = outcome_from_report(paths.name, str(clip), report,
                                  wall_s=time.perf_counter() - started, worker=_worker())
    _write_atomic(paths.done, {"stamp": stamp, "outcome": outcome.to_json()})
    return outcome


def _write_atomic(path: Path, payload: dict[str, Any]) -> None:
    """``write_json`` to a per-thread temporary name, then renamed into place."""
    tmp = ClipPaths(path.parent, path.stem).temp(path)
    try:
        write_json(tmp, payload)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def pose_session(backend: str, variant: PoseModel = DEFAULT_VARIANT
                 ) -> OnnxPoseEstimator | None:
    """This thread's ONNX session of ``variant`` (one inference thread), reset for a new clip;
    None for other backends (their callers make a session per clip)."""
    if backend != PoseBackend.ONNX:
        return None
    key = (threading.get_ident(), variant.value)
    with _SESSIONS_LOCK:
        session = _SESSIONS.get(key)
    if session is None:
        session = OnnxPoseEstimator(OnnxPoseOptions(landmark_model=landmark_file(variant),
                                                    intra_op_threads=1))
        with _SESSIONS_LOCK:
            _SESSIONS[key] = session
    session.reset()
    return session


def pose_sessions() -> int:
    """How many pose sessions this process holds (one per worker thread that ran a clip)."""
    with _SESSIONS_LOCK:
        return len(_SESSIONS)


@lru_cache(maxsize=8)
def model_digests(backend: str, variant: str = DEFAULT_VARIANT.value) -> dict[str, str]:
    """SHA-256 by file of the models ``backend`` runs with landmark ``variant`` (for
    ``mediapipe``: its name; the Tasks bundle is fixed by the installed wheel)."""
    if backend != PoseBackend.ONNX:
        return {"backend": backend}
    from hepvision.pose.models import verified_model_path
    from hepvision.pose.onnx_backend import DETECTOR_MODEL

    names = (DETECTOR_MODEL, landmark_file(PoseModel(variant)))
    return {name: verified_model_path(name)[1] for name in names}


@lru_cache(maxsize=1)
def pipeline_code_digest() -> str:
    """SHA-256 of the pipeline's source (:data:`PIPELINE_PACKAGES`, :data:`PIPELINE_MODULES`):
    a change to any stage invalidates every done mark."""
    root = Path(__file__).resolve().parents[1]
    files = [root / m for m in PIPELINE_MODULES]
    for package in PIPELINE_PACKAGES:
        files.extend(sorted((root / package).rglob("*.py")))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"
