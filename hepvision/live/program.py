"""Local program files: which exercises a session runs, with sets, reps, hold and rest.

    # program.toml
    [[exercise]]
    id = "squat"        # template id from the library
    sets = 2
    reps = 10           # 0 = open-ended (until the patient presses next)
    rest_s = 30
    hold_s = 0          # seconds per repetition for timed holds
    pain_stop = 7       # a pain rating at or above this ends the set
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hepvision.errors import HepvisionError
from hepvision.live.flow import DEFAULT_PAIN_STOP, ExercisePlan
from hepvision.templates import ExerciseTemplate, load_template


class ProgramError(HepvisionError):
    """A program file is missing or invalid."""


class _ExerciseEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    sets: int = Field(1, ge=1, le=20)
    reps: int = Field(10, ge=0, le=200)
    rest_s: float = Field(30.0, ge=0, le=600)
    hold_s: float = Field(0.0, ge=0, le=600)
    pain_stop: int = Field(DEFAULT_PAIN_STOP, ge=1, le=10)


class _Program(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exercise: list[_ExerciseEntry] = Field(min_length=1, max_length=32)


def template_plan(template: ExerciseTemplate, *, sets: int | None = None,
                  reps: int | None = None, rest_s: float | None = None) -> ExercisePlan:
    """A plan from a template's default dosage (where it has one), with overrides."""
    dosage = getattr(template, "dosage", None)
    precautions = getattr(template, "precautions", None)
    pain_stop = getattr(precautions, "pain_stop", None) if precautions else None
    return ExercisePlan(
        template=template,
        sets=sets if sets is not None else int(getattr(dosage, "sets", 1) or 1),
        reps=reps if reps is not None else int(getattr(dosage, "reps", 10) or 0),
        hold_s=float(getattr(dosage, "hold_s", 0.0) or 0.0),
        rest_s=rest_s if rest_s is not None else float(getattr(dosage, "rest_s", 30.0) or 0.0),
        pain_stop=int(pain_stop) if pain_stop else DEFAULT_PAIN_STOP,
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
        plans.append(ExercisePlan(template=template, sets=entry.sets, reps=entry.reps,
                                  hold_s=entry.hold_s, rest_s=entry.rest_s,
                                  pain_stop=entry.pain_stop))
    return tuple(plans)
