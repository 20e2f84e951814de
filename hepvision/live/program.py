"""Local program files: which exercises a session runs, with sets, reps, hold and rest.

    # program.toml
    [[exercise]]
    id = "squat"        # template id from the library
    sets = 2
    reps = 10           # 0 = open-ended (until the patient presses next)
    rest_s = 30
    hold_s = 0          # seconds per repetition for timed holds
    pain_stop_nrs = 7   # a pain rating (0-10) at or above this ends the set

``pain_stop_nrs`` defaults to the template's ``precautions.pain_stop_nrs``. Its older
spelling ``pain_stop`` is still read (program files written before issue 11), at this file
boundary only.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from hepvision.errors import HepvisionError
from hepvision.live.flow import ExercisePlan
from hepvision.templates import ExerciseTemplate, load_template
from hepvision.vocabulary import PAIN_NRS_MAX, PAIN_STOP_NRS_MIN


class ProgramError(HepvisionError):
    """A program file (or a synced prescription) is missing or invalid."""


@dataclass(frozen=True, slots=True)
class Program:
    """What a session runs: its plans, and the prescription version they follow (None: an
    exercise picked by hand or a local program file)."""

    plans: tuple[ExercisePlan, ...]
    prescription_version: int | None = None


class _ExerciseEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    sets: int = Field(default=1, ge=1, le=20)
    reps: int = Field(default=10, ge=0, le=200)
    rest_s: float = Field(default=30.0, ge=0, le=600)
    hold_s: float = Field(default=0.0, ge=0, le=600)
    #: None: the template's pain stop. ``pain_stop``: the key's name before issue 11.
    pain_stop_nrs: int | None = Field(
        default=None, ge=PAIN_STOP_NRS_MIN, le=PAIN_NRS_MAX,
        validation_alias=AliasChoices("pain_stop_nrs", "pain_stop"))


class _Program(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exercise: list[_ExerciseEntry] = Field(min_length=1, max_length=32)


def template_plan(template: ExerciseTemplate, *, sets: int | None = None,
                  reps: int | None = None, rest_s: float | None = None) -> ExercisePlan:
    """A plan from a template's default dosage and pain stop, with dosage overrides."""
    dosage = template.dosage
    return ExercisePlan(
        template=template,
        sets=sets if sets is not None else dosage.sets,
        reps=reps if reps is not None else dosage.reps,
        hold_s=dosage.hold_s,
        rest_s=rest_s if rest_s is not None else dosage.rest_s,
        pain_stop_nrs=template.precautions.pain_stop_nrs,
    )


def load_program(path: str | Path) -> tuple[ExercisePlan, ...]:
    """Plans of a local program file (TOML)."""
    src = Path(path)
    try:
        raw = tomllib.loads(src.read_text(encoding="utf-8"))
        program = _Program.model_validate(raw)
    except FileNotFoundError:
        raise ProgramError(f"program file not found: {src}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProgramError(f"cannot read program {src}: {exc}") from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ProgramError(f"{src}: {where}: {err['msg']}") from None
    plans = []
    for entry in program.exercise:
        template = load_template(entry.id)
        pain_stop = (entry.pain_stop_nrs if entry.pain_stop_nrs is not None
                     else template.precautions.pain_stop_nrs)
        plans.append(ExercisePlan(template=template, sets=entry.sets, reps=entry.reps,
                                  hold_s=entry.hold_s, rest_s=entry.rest_s,
                                  pain_stop_nrs=pain_stop))
    return tuple(plans)
