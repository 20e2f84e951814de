"""Locating and verifying the bundled model files.

Models are loaded by explicit path from the ``models/`` directory of the project (installed as
the ``hepvision._models`` package data). ``models/MANIFEST.json`` lists every file with its
SHA-256, source and licence; :func:`verified_model_path` refuses a file whose digest differs.
Nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hepvision.errors import ModelError

MANIFEST_NAME = "MANIFEST.json"


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """One manifest row: a model file, its digest, where it came from and its licence."""

    name: str
    sha256: str
    source: str
    licence: str


def models_dir() -> Path:
    """The directory holding the bundled models and their manifest.

    An installed wheel has them in ``hepvision/_models``; a source checkout (or an editable
    install) in the repository's top-level ``models/``.
    """
    package_root = Path(__file__).resolve().parents[1]
    candidates = (package_root / "_models", package_root.parent / "models")
    for path in candidates:
        if (path / MANIFEST_NAME).is_file():
            return path
    raise ModelError(f"model manifest not found in {' or '.join(map(str, candidates))}; "
                     "reinstall hepvision")


def load_manifest(directory: Path | None = None) -> dict[str, ModelEntry]:
    """Read ``MANIFEST.json`` into entries keyed by file name."""
    directory = directory or models_dir()
    path = directory / MANIFEST_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {
            name: ModelEntry(name, row["sha256"], row["source"], row["licence"])
            for name, row in raw["files"].items()
        }
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"cannot read model manifest {path}: {exc}") from exc


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@cache
def _verified(path: Path, expected: str) -> None:
    actual = sha256_file(path)
    if actual != expected:
        raise ModelError(
            f"model {path.name} fails its SHA-256 check (expected {expected[:12]}..., "
            f"found {actual[:12]}...); reinstall hepvision or run tools/models/build_models.py"
        )


def verified_model_path(name: str, directory: Path | None = None) -> tuple[Path, str]:
    """Path and SHA-256 of the bundled model ``name``, after checking its digest."""
    directory = directory or models_dir()
    entries = load_manifest(directory)
    if name not in entries:
        raise ModelError(f"model {name} is not listed in {directory / MANIFEST_NAME}")
    path = directory / name
    if not path.is_file():
        raise ModelError(f"model file {path} is missing; reinstall hepvision")
    _verified(path, entries[name].sha256)
    return path, entries[name].sha256
