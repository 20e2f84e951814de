"""Writing template overrides as TOML, the format :func:`hepvision.templates.load_overrides`
reads (only the fields that were set; tables after the top-level keys)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from hepvision.templates import TemplateOverrides


def overrides_toml(overrides: TemplateOverrides, comments: Sequence[str] = ()) -> str:
    """``overrides`` as a TOML document, ``comments`` as ``#`` lines at the top."""
    data = overrides.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    lines = [f"# {c}" for c in comments]
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    for key, value in data.items():
        if key not in tables:
            lines.append(f"{key} = {_value(value)}")
    for key, table in tables.items():
        if not table:
            continue
        lines.append("")
        lines.append(f"[{key}]")
        lines.extend(f"{_key(k)} = {_value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"


def _key(key: str) -> str:
    return key if key.replace("_", "").isalnum() else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    return _value(value)
