"""Building blocks of the template schema: the strict base model, one-line text and the
choices only templates make (framing, posture, form rule kinds and sides), as enums.

The words templates share with the pipeline, the upload format and the server (sides, views,
signal names, severities, the pain scale) are in :mod:`hepvision.vocabulary`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """A template table: unknown keys are refused, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def one_line(v: str) -> str:
    """``v`` stripped; a value spanning several lines is refused."""
    if "\n" in v.strip():
        raise ValueError("must be one line")
    return v.strip()


OneLine = Annotated[str, Field(min_length=1, max_length=200)]


class ConcentricPhase(StrEnum):
    """Which phase of a repetition works against the load: toward the turn, or back."""

    OUT = "out"
    RETURN = "return"


class HoldSide(StrEnum):
    """The sides a hold condition reads: EITHER (one side within limits is enough), BOTH (the
    mean of the two sides), LEFT or RIGHT."""

    EITHER = "either"
    BOTH = "both"
    LEFT = "left"
    RIGHT = "right"


class Framing(StrEnum):
    """Which part of the body must be in the picture (FULL_BODY: head to feet)."""

    FULL_BODY = "full_body"
    UPPER_BODY = "upper_body"
    LOWER_BODY = "lower_body"


class ViewCheck(StrEnum):
    """BLOCK: a wrong view stops counting; ADVISE: it only shows the message."""

    BLOCK = "block"
    ADVISE = "advise"


class Posture(StrEnum):
    """The patient's starting posture."""

    STANDING = "standing"
    SEATED = "seated"
    SUPINE = "supine"
    PRONE = "prone"
    SIDE_LYING = "side_lying"
    ANY = "any"


class RuleKind(StrEnum):
    """What a form rule judges (see :class:`~hepvision.templates.FormRule`)."""

    MAX = "max"
    MIN = "min"
    ASYMMETRY = "asymmetry"
    ROM = "rom"
    TEMPO = "tempo"


class RuleSide(StrEnum):
    """Which side a form rule judges: EACH side apart, BOTH (their mean), LEFT or RIGHT."""

    EACH = "each"
    BOTH = "both"
    LEFT = "left"
    RIGHT = "right"


class RuleReference(StrEnum):
    """ABSOLUTE: the limit applies to the value; REST: to its change from the rest level."""

    ABSOLUTE = "absolute"
    REST = "rest"
