"""The exercise template library as the prescription editor offers it.

Reads :mod:`hepvision.templates` (TOML files; it imports no pipeline code) and turns a template into
the defaults of a prescribed exercise: dosage, frequency, precautions, ROM target and caps.
Only ids the server accepts (``app.state.template_ids``) are offered.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from hepvision.templates import list_templates, load_template
from hepvision.vocabulary import TemplateSide, TemplateView, Unit


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    """One template as the editor shows it, with the defaults of a new prescribed exercise."""

    id: str
    name: str
    instructions: str
    signal: str
    signal_unit: Unit
    view: TemplateView
    side: TemplateSide
    sets: int
    reps: int
    hold_s: float
    rest_s: float
    sessions_per_day: int
    days_per_week: int
    target_rom_deg: float | None
    max_rom_deg: float | None
    pain_stop_nrs: int
    precautions: tuple[str, ...]
    progression: tuple[str, ...]


def _entry(template_id: str) -> LibraryEntry:
    t = load_template(template_id)
    d = t.dosage
    if d.per_day is not None:
        per_day, days = d.per_day, 7
    else:
        per_week = d.per_week or 7
        per_day, days = (1, per_week) if per_week <= 7 else (2, max(1, per_week // 2))
    caps = [c.max for c in t.precautions.rom_caps
            if c.max is not None and c.signal.value == t.signal_name]
    notes = tuple(n for n in [t.precautions.notes.strip()] if n)
    notes += tuple(c.cue for c in t.precautions.rom_caps)
    return LibraryEntry(
        id=t.id, name=t.name, instructions=t.instructions, signal=t.signal_name,
        signal_unit=t.signal_unit, view=t.view, side=t.side, sets=d.sets, reps=d.reps,
        hold_s=d.hold_s, rest_s=d.rest_s, sessions_per_day=per_day, days_per_week=days,
        target_rom_deg=t.target.rom if t.signal_unit is Unit.DEG else None,
        max_rom_deg=min(caps) if caps else None,
        pain_stop_nrs=t.precautions.pain_stop_nrs, precautions=notes,
        progression=tuple(t.progression))


def library(allowed: Collection[str] | None) -> dict[str, LibraryEntry]:
    """Templates by id (sorted by name); ``allowed`` limits them to the server's known ids.

    A template that fails to load raises (:class:`~hepvision.errors.TemplateError`): a broken
    library is an error to fix, never an empty editor.
    """
    entries = [_entry(i) for i in list_templates() if allowed is None or i in allowed]
    return {e.id: e for e in sorted(entries, key=lambda e: e.name.lower())}
