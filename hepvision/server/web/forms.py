"""The prescription editor's form: its fields, parsing and validation.

The form round-trips as plain text fields (``ex-<i>-<field>`` per exercise), so a rejected
save shows exactly what was typed, with each error next to its field. Validation is the API's
own :class:`~hepvision.server.schemas.PrescriptionCreate`; nothing is checked twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from hepvision.server.schemas import PrescriptionCreate, PrescriptionPublic
from hepvision.server.web.library import LibraryEntry

#: Per-exercise text fields, in form order.
DOSE_FIELDS = ("sets", "reps", "hold_s", "rest_s", "sessions_per_day", "days_per_week")
#: A personal template's fields (``hepvision template learn``; issue 13).
PERSONAL_FIELDS = ("counter_start", "counter_turn", "counter_hysteresis", "counter_min_amplitude",
                   "rom_limit", "min_rep_s", "neutral_deg")
OVERRIDE_FIELDS = ("target_rom_deg", "max_rom_deg", "max_reps_per_set", "pain_stop_nrs",
                   *PERSONAL_FIELDS)
PROGRESSION_FIELDS = ("after_days", "sets", "reps", "hold_s", "note")
SIDES = ("", "left", "right", "both", "none")
_ROW_KEY = re.compile(r"^ex-(\d{1,2})-exercise_id$")


@dataclass
class ExerciseRow:
    """One prescribed exercise as form text; ``errors`` maps field name to message."""

    exercise_id: str
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.values.get(name, "")


@dataclass
class PrescriptionForm:
    rows: list[ExerciseRow] = field(default_factory=list)
    precautions: str = ""
    notes: str = ""
    errors: list[str] = field(default_factory=list)


def _num(value: float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def row_from_template(entry: LibraryEntry) -> ExerciseRow:
    return ExerciseRow(entry.id, {
        "sets": _num(entry.sets), "reps": _num(entry.reps), "hold_s": _num(entry.hold_s),
        "rest_s": _num(entry.rest_s), "sessions_per_day": _num(entry.sessions_per_day),
        "days_per_week": _num(entry.days_per_week), "side": "",
        "target_rom_deg": _num(entry.target_rom_deg), "max_rom_deg": _num(entry.max_rom_deg),
        "max_reps_per_set": "", "pain_stop_nrs": _num(entry.pain_stop_nrs),
        "precautions": "\n".join(entry.precautions)})


def form_from_prescription(current: PrescriptionPublic | None) -> PrescriptionForm:
    if current is None:
        return PrescriptionForm()
    rows = []
    for e in current.exercises:
        values = {k: _num(getattr(e, k)) for k in DOSE_FIELDS}
        values["side"] = e.side or ""
        values.update({k: _num(getattr(e.overrides, k)) for k in OVERRIDE_FIELDS})
        values["precautions"] = "\n".join(e.precautions)
        if e.progression:
            step = e.progression[0]
            values.update({f"prog_{k}": _num(getattr(step, k)) if k != "note" else step.note
                           for k in PROGRESSION_FIELDS})
        rows.append(ExerciseRow(e.exercise_id, values))
    return PrescriptionForm(rows, "\n".join(current.precautions), current.notes)


def parse_form(form: dict[str, list[str]]) -> PrescriptionForm:
    """The editor's state from a posted form (rows in index order)."""
    def one(key: str) -> str:
        return (form.get(key) or [""])[0].strip()

    indices = sorted(int(m.group(1)) for k in form if (m := _ROW_KEY.match(k)))
    rows = []
    for i in indices:
        names = (*DOSE_FIELDS, "side", *OVERRIDE_FIELDS, "precautions",
                 *(f"prog_{k}" for k in PROGRESSION_FIELDS))
        rows.append(ExerciseRow(one(f"ex-{i}-exercise_id"),
                                {n: one(f"ex-{i}-{n}") for n in names}))
    return PrescriptionForm(rows, one("precautions"), one("notes"))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def to_body(state: PrescriptionForm) -> dict[str, Any]:
    """The JSON body the API would receive; empty fields are left to the schema defaults."""
    exercises = []
    for row in state.rows:
        ex: dict[str, Any] = {"exercise_id": row.exercise_id}
        ex.update({k: row.get(k) for k in DOSE_FIELDS if row.get(k)})
        if row.get("side"):
            ex["side"] = row.get("side")
        overrides = {k: row.get(k) for k in OVERRIDE_FIELDS if row.get(k)}
        if overrides:
            ex["overrides"] = overrides
        ex["precautions"] = _lines(row.get("precautions"))
        step = {k: row.get(f"prog_{k}") for k in PROGRESSION_FIELDS if row.get(f"prog_{k}")}
        if step:
            ex["progression"] = [step]
        exercises.append(ex)
    return {"exercises": exercises, "precautions": _lines(state.precautions),
            "notes": state.notes}


def validate(state: PrescriptionForm) -> PrescriptionCreate | None:
    """The validated prescription, or ``None`` with the errors written into ``state``."""
    try:
        return PrescriptionCreate.model_validate(to_body(state))
    except ValidationError as exc:
        for err in exc.errors():
            loc = err["loc"]
            message = err["msg"]
            if len(loc) >= 3 and loc[0] == "exercises" and isinstance(loc[1], int) \
                    and loc[1] < len(state.rows):
                row = state.rows[loc[1]]
                if loc[2] == "overrides" and len(loc) > 3:
                    name = str(loc[3])
                elif loc[2] == "progression" and len(loc) > 4:
                    name = f"prog_{loc[4]}"
                else:
                    name = str(loc[2])
                row.errors.setdefault(name, message)
            elif loc and loc[0] == "exercises":
                state.errors.append("add at least one exercise" if err["type"] == "too_short"
                                    else f"exercises: {message}")
            else:
                state.errors.append(f"{'.'.join(str(p) for p in loc)}: {message}")
        return None
