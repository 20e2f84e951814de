"""Rep-counting accuracy against hand counts: counts, turning-point events and K-fold fitting.

Counts: MAE = mean(|pred - true| / true), OBO = share of clips with |pred - true| <= 1 (the
definitions used by RepCount-A, TransRAC and PoseRAC), exact = clips counted exactly.

Events: each counted repetition's turning point (``peak_ms`` of the analyzer's repetitions, or
of the template-free counter) is matched one-to-one with the labelled ``rep_event_times_s``
(formats and matching in :mod:`hepvision.evaluation.rep_events`); precision, recall and F1 per
clip and micro-averaged over all events. RepCount-A files mark each repetition's start and end
frame, not its turning point, so their rows are scored on counts only.

Error rows: a row whose template is unknown, whose clip is missing or whose clip fails (pose,
decoding, or a template that cannot count it) is reported with its reason and counted as a
miss (predicted 0, every labelled event missed); it never stops the run.

Folds: see :mod:`hepvision.evaluation.rep_folds`. Pose landmarks of each clip are cached as
recordings keyed by the clip's SHA-256 and the backend's model digests, and every (clip,
constants) analysis is computed once per run, so fitting costs one pass per grid point.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import logging
import os
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hepvision.analysis import (
    DEFAULT_CONSTANTS,
    FIT_GRID,
    CountingConstants,
    ExerciseAnalyzer,
    count_reps_template_free,
)
from hepvision.capture.sources import open_source
from hepvision.errors import HepvisionError
from hepvision.evaluation.rep_classes import class_table, format_class_lines
from hepvision.evaluation.rep_events import EventLabels, parse_rep_events
from hepvision.evaluation.rep_folds import FoldResult, assign_folds, folds_json, run_folds
from hepvision.evaluation.rep_scoring import (
    STATUS_CANNOT_SCORE,
    STATUS_MISSING_CLIP,
    STATUS_OK,
    STATUS_POSE_FAILED,
    STATUS_UNKNOWN_TEMPLATE,
    ClipPrediction,
    ClipScore,
    LabelRow,
    clip_json,
    rep_metrics,
    score_clip,
    summary_json,
)
from hepvision.pose.base import PoseEstimator
from hepvision.pose.factory import create_estimator
from hepvision.pose.models import sha256_file
from hepvision.pose.recording import LandmarkRecording, load_recording, save_recording
from hepvision.session.offline import run_frames, video_frames
from hepvision.templates import load_template

if TYPE_CHECKING:
    from hepvision.batch.engine import EngineOptions

__all__ = ["ClipCounter", "LabelRow", "cached_landmarks", "format_reps_table", "read_labels",
           "rep_metrics", "score_reps"]

log = logging.getLogger(__name__)

REPCOUNT_NO_EVENTS = ("RepCount-A marks each repetition's start and end frame, not its "
                      "turning point: scored on counts only")


def read_labels(path: Path) -> list[LabelRow]:
    """Rows of a hepvision labels CSV (file, template, true_reps[, rep_event_times_s]) or a
    RepCount-A CSV (name, count, L1..Ln)."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            fields = set(reader.fieldnames or ())
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise HepvisionError(f"cannot read labels file {path}: {exc}") from exc
    out: list[LabelRow] = []
    if {"file", "true_reps"} <= fields:
        for i, row in enumerate(rows, start=2):
            true_reps = _count(row["true_reps"], path, i)
            events = (parse_rep_events(row["rep_event_times_s"] or "", true_reps)
                      if "rep_event_times_s" in fields
                      else EventLabels((), problem="no rep_event_times_s column"))
            template = (row.get("template") or "").strip() or None
            out.append(LabelRow(row["file"].strip(), template, true_reps, events,
                                kind=template))
    elif {"name", "count"} <= fields:
        no_events = EventLabels((), problem=REPCOUNT_NO_EVENTS)
        for i, row in enumerate(rows, start=2):
            out.append(LabelRow(row["name"].strip(), None, _count(row["count"], path, i),
                                no_events, kind=(row.get("type") or "").strip() or None))
    else:
        raise HepvisionError(f"{path}: expected columns file,template,true_reps or "
                             f"name,count,L1..Ln (RepCount-A); found {', '.join(sorted(fields))}")
    if not out:
        raise HepvisionError(f"{path} lists no clips")
    return out


def _count(text: str, path: Path, line: int) -> int:
    try:
        value = int(float(text))
    except (TypeError, ValueError):
        raise HepvisionError(f"{path}:{line}: repetition count {text!r} is not a number") from None
    if value < 0:
        raise HepvisionError(f"{path}:{line}: repetition count {value} is negative")
    return value


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hepvision" / "landmarks"


def _pose_code_digest() -> str:
    """Digest of the pose package's source and of the video decoder that feeds it: a change
    to a backend or to how frames are decoded invalidates the cache."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    decoder = [root / "capture" / "frames.py", root / "capture" / "video_file.py"]
    for path in [*sorted((root / "pose").glob("*.py")), *decoder]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def cached_landmarks(video: Path, backend: str, cache_dir: Path,
                     estimator: PoseEstimator | None = None) -> LandmarkRecording:
    """The clip's pose recording from the cache, running ``backend`` on a miss.

    The cache key holds the clip's digest, the backend, its model digests and the digest of
    the pose code, so a changed backend never serves stale landmarks. ``estimator``: a session
    of ``backend``'s default model to use (reset by the caller, who closes it) instead of a
    new one.
    """
    with nullcontext(estimator) if estimator is not None \
            else create_estimator(backend) as estimator:
        models = "-".join(sorted(sha[:8] for sha in estimator.info.model_sha256.values()))
        key = (f"{sha256_file(video)[:20]}-{backend}-{models or 'nomodel'}-"
               f"{_pose_code_digest()}.npz")
        cached = cache_dir / key
        if cached.is_file():
            return load_recording(cached)
        with open_source(video) as src:
            run = run_frames(video_frames(src), estimator)
            fps = src.fps
        info = estimator.info
    cache_dir.mkdir(parents=True, exist_ok=True)
    save_recording(cached, run.results, fps=fps,
                   metadata={"source": video.name, "backend": info.name,
                             "model_sha256": info.model_sha256})
    return load_recording(cached)


@dataclass(frozen=True, slots=True)
class _Failure:
    """Why a clip's landmarks could not be had (remembered so a clip fails once)."""

    status: str
    message: str


class ClipCounter:
    """Counts a row's clip with given constants (a :data:`~.rep_folds.Predictor`).

    Landmarks are read once per clip; each (clip, template, constants) result is computed once
    (template-free rows do not depend on the constants). ``analyses`` counts counter passes.
    """

    def __init__(self, videos: Path, backend: str, cache_dir: Path,
                 default_template: str | None = None) -> None:
        self.videos = videos
        self.backend = backend
        self.cache_dir = cache_dir
        self.default_template = default_template
        self.analyses = 0
        self._recordings: dict[str, LandmarkRecording | _Failure] = {}
        self._memo: dict[tuple[str, str | None, CountingConstants | None], ClipPrediction] = {}

    def __call__(self, row: LabelRow, constants: CountingConstants) -> ClipPrediction:
        template_id = row.template or self.default_template
        key = (row.file, template_id, constants if template_id is not None else None)
        if key not in self._memo:
            self._memo[key] = self._predict(row.file, template_id, constants)
        return self._memo[key]

    def _recording(self, file: str) -> LandmarkRecording | _Failure:
        if file not in self._recordings:
            video = self.videos / file
            if not video.is_file():
                found: LandmarkRecording | _Failure = _Failure(
                    STATUS_MISSING_CLIP, f"{file} not found in {self.videos}")
            else:
                try:
                    found = cached_landmarks(video, self.backend, self.cache_dir)
                except HepvisionError as exc:
                    found = _Failure(STATUS_POSE_FAILED, f"{file}: {exc}")
            if isinstance(found, _Failure):
                log.warning("error row: %s", found.message)
            self._recordings[file] = found
        return self._recordings[file]

    def _predict(self, file: str, template_id: str | None,
                 constants: CountingConstants) -> ClipPrediction:
        method = "template-free" if template_id is None else "template"
        template = None
        if template_id is not None:
            try:
                template = load_template(template_id)
            except HepvisionError as exc:
                return ClipPrediction.failed(method, template_id, STATUS_UNKNOWN_TEMPLATE,
                                             str(exc))
        recording = self._recording(file)
        if isinstance(recording, _Failure):
            return ClipPrediction.failed(method, template_id, recording.status,
                                         recording.message)
        self.analyses += 1
        try:
            if template is None:
                free = count_reps_template_free(recording.results)
                return ClipPrediction(free.reps, tuple(int(t) for t in free.peak_ms), method,
                                      None)
            analyzer = ExerciseAnalyzer(template, constants=constants)
            if analyzer.settings is None:
                raise ValueError(f"template {template_id!r} is a timed hold; it counts no "
                                 "repetitions")
            for result in recording.results:
                analyzer.update(result)
            analysis = analyzer.finish()
        except (HepvisionError, ValueError) as exc:
            return ClipPrediction.failed(method, template_id, STATUS_CANNOT_SCORE,
                                         f"{file}: {exc}")
        return ClipPrediction(analysis.reps, tuple(r.peak_ms for r in analysis.rep_details),
                              method, template_id)


def score_reps(labels: Path, videos: Path, *, backend: str = "onnx",
               default_template: str | None = None, cache_dir: Path | None = None,
               folds: int | None = None, engine: EngineOptions | None = None
               ) -> dict[str, Any]:
    """Count every labelled clip with the default constants (and, with ``folds``, fit them by
    K-fold cross-validation); the JSON-ready result :func:`format_reps_table` prints.

    ``engine``: first fill the landmark cache on Dask (see
    :func:`~hepvision.evaluation.rep_cache.fill_landmark_cache`); None: pose runs here, clip
    by clip, as the counting asks for it. Either way the counting reads the same cache.
    """
    if backend == "replay":
        raise HepvisionError("bench reps runs pose itself (and caches it); choose onnx or "
                             "mediapipe")
    if not videos.is_dir():
        raise HepvisionError(f"videos folder not found: {videos}")
    rows = read_labels(labels)
    if folds is not None:
        assign_folds([r.file for r in rows], folds)  # a bad K fails before any counting
    cache = cache_dir or default_cache_dir()
    if engine is not None:
        from hepvision.evaluation.rep_cache import fill_landmark_cache

        fill_landmark_cache([videos / r.file for r in rows], backend, cache, engine)
    counter = ClipCounter(videos, backend, cache, default_template)
    scores = [score_clip(row, counter(row, DEFAULT_CONSTANTS)) for row in rows]
    fold_results = run_folds(rows, folds, counter, FIT_GRID) if folds is not None else []
    result: dict[str, Any] = {
        "labels": str(labels), "backend": backend,
        "constants": {"default": dataclasses.asdict(DEFAULT_CONSTANTS)},
        "clips": [clip_json(s) for s in scores], **summary_json(scores),
        "classes": class_table(scores),
        "folds": folds_json(fold_results, FIT_GRID) if fold_results else None,
        "versions": _versions([r.template or default_template for r in rows], backend),
    }
    for entry, fold_row in zip(result["clips"], _fold_columns(rows, fold_results), strict=True):
        entry.update(fold_row)
    log.info("%d counter passes for %d rows", counter.analyses, len(rows))
    return result


def _versions(template_ids: list[str | None], backend: str) -> dict[str, Any]:
    """What to cite: the package version, the pose code digest, the model and template
    SHA-256s (templates that do not load are left out: their rows are error rows)."""
    from hepvision import __version__
    from hepvision.batch.process import model_digests

    templates: dict[str, str] = {}
    for template_id in sorted({t for t in template_ids if t is not None}):
        try:
            templates[template_id] = load_template(template_id).content_sha256
        except HepvisionError:
            continue
    return {"hepvision": __version__, "pose_code": _pose_code_digest(),
            "models": model_digests(backend), "templates": templates}


def _fold_columns(rows: list[LabelRow], folds: list[FoldResult]) -> list[dict[str, Any]]:
    """Each row's fold and held-out count (empty dicts without folds)."""
    held: dict[int, tuple[int, ClipScore]] = {}
    for f in folds:
        test_ids = [i for i, r in enumerate(rows) if r.file in f.files]
        for i, s in zip(test_ids, f.scores, strict=True):
            held[i] = (f.index, s)
    return [{"fold": held[i][0], "heldout_reps": held[i][1].prediction.reps} if i in held
            else {} for i in range(len(rows))]


def format_reps_table(result: dict[str, Any]) -> str:
    """A row per clip, fold lines, the events line, then ``MAE=<x> OBO=<y> exact=<k>/<n>``."""
    clips = result["clips"]
    folds = result.get("folds")
    width = max(len(r["file"]) for r in clips)
    fold_head = f"{'fold':>5}{'cv':>5}" if folds else ""
    lines = [f"{'file':<{width}}  {'template':<20}{'true':>5}{'pred':>6}{fold_head}"
             f"{'TP':>4}{'FP':>4}{'FN':>4}{'F1':>6}  status"]
    for r in clips:
        pred = "error" if r["status"] != STATUS_OK else str(r["predicted_reps"])
        ev = r["events"]
        cells = (f"{ev['tp']:>4}{ev['fp']:>4}{ev['fn']:>4}{ev['f1']:>6.2f}" if ev["scored"]
                 else f"{'-':>4}{'-':>4}{'-':>4}{'-':>6}")
        status = r["status"] if r["status"] != STATUS_OK else (
            "ok" if ev["scored"] else "ok, counts only")
        fold_cells = f"{r['fold']:>5}{r['heldout_reps']:>5}" if folds else ""
        lines.append(f"{r['file']:<{width}}  {r['template'] or '-':<20}{r['true_reps']:>5}"
                     f"{pred:>6}{fold_cells}{cells}  {status}")
    lines.extend(format_class_lines(result["classes"]))
    if folds:
        for f in folds["folds"]:
            lines.append(f"fold {f['fold']}/{folds['k']}: " + _summary_text(f)
                         + "  fitted " + ", ".join(f"{k}={v:g}" for k, v in
                                                   f["constants"].items()))
        lines.append(f"pooled held-out ({folds['k']} folds): " + _summary_text(folds["pooled"]))
    e = result["events"]
    lines.append(f"events: P={e['precision']:.3f} R={e['recall']:.3f} F1={e['f1']:.3f} "
                 f"(TP={e['tp']} FP={e['fp']} FN={e['fn']})")
    lines.append(f"MAE={result['mae']:.3f} OBO={result['obo']:.3f} "
                 f"exact={result['exact']}/{result['n']}")
    return "\n".join(lines)


def _summary_text(s: dict[str, Any]) -> str:
    return (f"exact={s['exact']}/{s['n']} mae={s['mae']:.3f} obo={s['obo']:.3f} "
            f"event_F1={s['events']['f1']:.3f}")

