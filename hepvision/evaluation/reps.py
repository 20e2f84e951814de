"""Rep-counting accuracy against hand counts, with the RepCount-A metrics.

MAE = mean(|pred - true| / true), OBO = share of clips with |pred - true| <= 1 (the
definitions used by RepCount-A, TransRAC and PoseRAC). Pose landmarks of each clip are cached
as recordings keyed by the clip's SHA-256 and the backend's model digests, so re-scoring with
other counter settings replays the cache instead of running pose again.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hepvision.analysis import ExerciseAnalyzer, count_template_free
from hepvision.capture.sources import open_source
from hepvision.errors import HepvisionError
from hepvision.pose.factory import create_estimator
from hepvision.pose.models import sha256_file
from hepvision.pose.recording import LandmarkRecording, load_recording, save_recording
from hepvision.session.offline import run_frames, video_frames
from hepvision.templates import load_template

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LabelRow:
    """One clip to score: its file name, template id (or None) and hand count."""

    file: str
    template: str | None
    true_reps: int


def read_labels(path: Path) -> list[LabelRow]:
    """Rows of a hepvision labels CSV (file, template, true_reps) or a RepCount-A CSV."""
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
            out.append(LabelRow(row["file"].strip(), (row.get("template") or "").strip() or None,
                                _count(row["true_reps"], path, i)))
    elif {"name", "count"} <= fields:
        for i, row in enumerate(rows, start=2):
            out.append(LabelRow(row["name"].strip(), None, _count(row["count"], path, i)))
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
    """Digest of the pose package's source: a change to a backend invalidates the cache."""
    digest = hashlib.sha256()
    for path in sorted((Path(__file__).resolve().parents[1] / "pose").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def cached_landmarks(video: Path, backend: str, cache_dir: Path) -> LandmarkRecording:
    """The clip's pose recording from the cache, running ``backend`` on a miss.

    The cache key holds the clip's digest, the backend, its model digests and the digest of
    the pose code, so a changed backend never serves stale landmarks.
    """
    with create_estimator(backend) as estimator:
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


def score_reps(labels: Path, videos: Path, *, backend: str = "onnx",
               default_template: str | None = None,
               cache_dir: Path | None = None) -> dict[str, Any]:
    """Count every labelled clip and compute MAE, OBO and exact matches."""
    if backend == "replay":
        raise HepvisionError("bench reps runs pose itself (and caches it); choose onnx or "
                             "mediapipe")
    if not videos.is_dir():
        raise HepvisionError(f"videos folder not found: {videos}")
    cache = cache_dir or default_cache_dir()
    rows_out: list[dict[str, Any]] = []
    for row in read_labels(labels):
        video = videos / row.file
        template_id = row.template or default_template
        if not video.is_file():
            log.warning("skipping %s: not found in %s", row.file, videos)
            continue
        try:
            recording = cached_landmarks(video, backend, cache)
        except HepvisionError as exc:
            log.warning("skipping %s: %s", row.file, exc)
            continue
        if template_id is None:
            predicted = count_template_free(recording.results)
            method = "template-free"
        else:
            analyzer = ExerciseAnalyzer(load_template(template_id))
            for result in recording.results:
                analyzer.update(result)
            predicted = analyzer.finish().reps
            method = "template"
        rows_out.append({"file": row.file, "template": template_id, "method": method,
                         "true_reps": row.true_reps, "predicted_reps": int(predicted)})
    if not rows_out:
        raise HepvisionError(f"none of the clips in {labels} could be scored")
    return {"labels": str(labels), "backend": backend, "clips": rows_out,
            **rep_metrics([r["true_reps"] for r in rows_out],
                          [r["predicted_reps"] for r in rows_out])}


def rep_metrics(true_reps: list[int], predicted: list[int]) -> dict[str, Any]:
    """MAE (relative), OBO and exact matches; clips with a true count of 0 are left out of MAE."""
    n = len(true_reps)
    rel = [abs(p - t) / t for t, p in zip(true_reps, predicted, strict=True) if t > 0]
    obo = sum(1 for t, p in zip(true_reps, predicted, strict=True) if abs(p - t) <= 1)
    exact = sum(1 for t, p in zip(true_reps, predicted, strict=True) if p == t)
    return {"n": n, "mae": round(sum(rel) / len(rel), 4) if rel else 0.0,
            "obo": round(obo / n, 4) if n else 0.0, "exact": exact}


def format_reps_table(result: dict[str, Any]) -> str:
    """A row per clip, then ``MAE=<x> OBO=<y> exact=<k>/<n>``."""
    width = max(len(r["file"]) for r in result["clips"])
    lines = [f"{'file':<{width}}  {'template':<20}{'true':>6}{'pred':>6}"]
    for r in result["clips"]:
        lines.append(f"{r['file']:<{width}}  {r['template'] or '-':<20}"
                     f"{r['true_reps']:>6}{r['predicted_reps']:>6}")
    lines.append(f"MAE={result['mae']:.3f} OBO={result['obo']:.3f} "
                 f"exact={result['exact']}/{result['n']}")
    return "\n".join(lines)
