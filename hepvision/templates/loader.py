"""Finding and loading exercise templates from the ``exercises/`` directory."""

from __future__ import annotations

import hashlib
import tomllib
from functools import cache
from pathlib import Path

from pydantic import ValidationError

from hepvision.errors import TemplateError
from hepvision.templates.schema import ExerciseTemplate


def exercises_dir() -> Path:
    """The directory holding ``<id>.toml`` templates.

    An installed wheel has them in ``hepvision/_exercises`` (package data); a source checkout
    (or an editable install) in the repository's top-level ``exercises/``.
    """
    package_root = Path(__file__).resolve().parents[1]
    candidates = (package_root / "_exercises", package_root.parent / "exercises")
    for path in candidates:
        if path.is_dir() and any(path.glob("*.toml")):
            return path
    raise TemplateError("exercise template directory not found in "
                        f"{' or '.join(map(str, candidates))}; reinstall hepvision")


def list_templates(directory: Path | None = None) -> list[str]:
    """Sorted ids of the available templates."""
    return sorted(p.stem for p in (directory or exercises_dir()).glob("*.toml"))


def load_template(template_id: str, directory: Path | None = None) -> ExerciseTemplate:
    """Load and validate ``<template_id>.toml``.

    Raises:
        TemplateError: unknown id, unreadable file or invalid content; the message names the
            file and the offending field.
    """
    directory = directory or exercises_dir()
    path = directory / f"{template_id}.toml"
    if not path.is_file():
        known = ", ".join(list_templates(directory)) or "none"
        raise TemplateError(f"unknown exercise template {template_id!r} (known: {known})")
    return _load(path, path.stat().st_mtime_ns)


def load_template_file(path: Path) -> ExerciseTemplate:
    """Load and validate a template file at an explicit path."""
    return _load(path, path.stat().st_mtime_ns)


def describe_errors(exc: ValidationError) -> str:
    """Pydantic's errors as ``field 'a.b': message; ...`` (fields named by their path)."""
    return "; ".join(
        f"field '{'.'.join(str(p) for p in err['loc'])}': {err['msg']}"
        for err in exc.errors()
    )


@cache
def _load(path: Path, _mtime_ns: int) -> ExerciseTemplate:
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TemplateError(f"{path}: cannot read template: {exc}") from exc
    for computed in ("content_sha256", "base_sha256", "overrides_sha256"):
        if computed in data:
            raise TemplateError(f"{path}: field '{computed}' is computed, do not set it")
    data["content_sha256"] = hashlib.sha256(raw).hexdigest()
    try:
        template = ExerciseTemplate.model_validate(data)
    except ValidationError as exc:
        raise TemplateError(f"{path}: invalid template: {describe_errors(exc)}") from exc
    if template.id != path.stem:
        raise TemplateError(f"{path}: field 'id': {template.id!r} does not match the file name")
    return template
