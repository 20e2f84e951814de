"""The clips of a batch: a folder, a glob, a single file, or a labels CSV.

A labels CSV is either hepvision's (``file, template, true_reps[, rep_event_times_s]``) or
RepCount-A's annotation file as it is (``type, name, count, L1..Ln``), read by
:func:`hepvision.evaluation.reps.read_labels`; its clips are looked up in ``videos`` (default:
the CSV's folder). Each clip's name in the output folder is its path relative to the folder,
the CSV's videos folder or the glob's fixed prefix, without the extension, with ``/`` written
``__`` (so ``a/clip.mp4`` and ``b/clip.mp4`` do not collide).
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

from hepvision.errors import HepvisionError
from hepvision.evaluation.reps import read_labels

__all__ = ["CLIP_SUFFIXES", "ClipJob", "list_clips"]

#: Files a folder or glob contributes: videos, and landmark recordings (replayed).
CLIP_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg",
                           ".npz"})


@dataclass(frozen=True, slots=True)
class ClipJob:
    """One clip to process.

    Attributes:
        path: the clip file. name: its name in the output folder (unique in the batch).
        exercise: the template id to track it with (None: the labels name none and no
            default was given; the clip becomes an error row).
        true_reps: the labelled count, when the clips come from a labels CSV.
        kind: the labelled exercise class (RepCount-A ``type``, else the template id).
    """

    path: Path
    name: str
    exercise: str | None
    true_reps: int | None = None
    kind: str | None = None


def list_clips(spec: str, *, exercise: str | None = None,
               videos: Path | None = None) -> list[ClipJob]:
    """The clips ``spec`` names, in a stable order (a folder and a glob: sorted by path).

    ``exercise``: the template for clips whose labels name none (and for every clip of a
    folder or glob). ``videos``: where a labels CSV's clips are (default: the CSV's folder).

    Raises:
        HepvisionError: nothing matches, or the CSV cannot be read.
    """
    path = Path(spec)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file()
                       and p.suffix.lower() in CLIP_SUFFIXES and not p.name.startswith("."))
        jobs = [ClipJob(p, _name(p, path), exercise, kind=exercise) for p in files]
    elif path.suffix.lower() == ".csv" and path.is_file():
        jobs = _labelled(path, videos or path.parent, exercise)
    elif path.is_file():
        jobs = [ClipJob(path, _name(path, path.parent), exercise, kind=exercise)]
    elif glob.has_magic(spec):
        base = _fixed_prefix(spec)
        files = sorted(Path(p) for p in glob.glob(spec, recursive=True) if Path(p).is_file())
        jobs = [ClipJob(p, _name(p, base), exercise, kind=exercise) for p in files]
    else:
        raise HepvisionError(f"no such folder, file or pattern: {spec}")
    if not jobs:
        raise HepvisionError(f"{spec}: no clips found (looked for "
                             f"{', '.join(sorted(CLIP_SUFFIXES))})")
    return _unique(jobs)


def _labelled(csv_path: Path, videos: Path, exercise: str | None) -> list[ClipJob]:
    if not videos.is_dir():
        raise HepvisionError(f"videos folder not found: {videos}")
    jobs = []
    for row in read_labels(csv_path):
        clip = videos / row.file
        jobs.append(ClipJob(clip, _name(clip, videos), row.template or exercise,
                            row.true_reps, row.kind))
    return jobs


def _name(path: Path, base: Path) -> str:
    try:
        relative = path.relative_to(base)
    except ValueError:
        relative = Path(path.name)
    return relative.with_suffix("").as_posix().replace("/", "__")


def _fixed_prefix(pattern: str) -> Path:
    """The folder part of ``pattern`` before its first wildcard."""
    parts: list[str] = []
    for part in Path(pattern).parts[:-1]:
        if glob.has_magic(part):
            break
        parts.append(part)
    return Path(*parts) if parts else Path(".")


def _unique(jobs: list[ClipJob]) -> list[ClipJob]:
    """``jobs`` with a clip listed twice kept once (its first row)."""
    seen: dict[str, ClipJob] = {}
    for job in jobs:
        first = seen.setdefault(job.name, job)
        if first.path != job.path:
            raise HepvisionError(f"two clips would share the output name {job.name!r}: "
                                 f"{first.path} and {job.path}")
    return list(seen.values())
