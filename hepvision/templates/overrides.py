"""Per-patient overrides: a therapist changes a target, a cap or the dosage without copying the
template file. The layered result is validated again, and its hash records both layers.

An overrides file is TOML with the fields of :class:`TemplateOverrides` (``template = "<id>"``
optionally names the template it is for), e.g.::

    template = "mini_squat"
    target_rom = 40
    rom_caps = [{ signal = "knee_flexion", max = 60 }]
    [dosage]
    reps = 8
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hepvision.errors import TemplateError
from hepvision.templates.schema import (
    AngleCounter,
    DistanceCounter,
    ExerciseTemplate,
    HoldCounter,
    MeasureCounter,
    RomCap,
)
from hepvision.vocabulary import PAIN_NRS_MAX, PAIN_STOP_NRS_MIN, TemplateSide


class DosageOverrides(BaseModel):
    """Dosage fields to replace (``None``: keep the template's)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sets: int | None = Field(default=None, ge=1, le=10)
    reps: int | None = Field(default=None, ge=1, le=100)
    hold_s: float | None = Field(default=None, ge=0.0, le=600.0)
    rest_s: float | None = Field(default=None, ge=0.0, le=600.0)
    per_day: int | None = Field(default=None, ge=1, le=10)
    per_week: int | None = Field(default=None, ge=1, le=14)


class CounterOverrides(BaseModel):
    """Counter thresholds to replace, in the counted signal's unit (degrees for an angle, the
    ratio for a distance, the measure's unit for a measure); ``None``: keep the template's.
    Written by ``hepvision template learn`` from a patient's demonstration."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: float | None = Field(default=None, ge=-240.0, le=240.0)
    turn: float | None = Field(default=None, ge=-240.0, le=240.0)
    hysteresis: float | None = Field(default=None, gt=0.0, le=30.0)
    min_amplitude: float | None = Field(default=None, ge=0.0, le=240.0)
    hold_s: float | None = Field(default=None, ge=0.0, le=120.0)


class TemplateOverrides(BaseModel):
    """One patient's changes to a template (every field optional).

    Attributes:
        template: the template id these overrides are for (checked when given).
        target_rom: replaces ``target.rom``.
        rom_caps: replaces the precaution caps (an empty tuple removes them).
        pain_stop_nrs: replaces the pain score that stops the set.
        hold_target_s: replaces a hold template's ``counter.target_s``.
        side: replaces the side (e.g. only the operated knee).
        dosage: replaces single dosage fields; giving ``per_day`` clears ``per_week`` and
            the reverse.
        rule_limits: rule id -> new limit.
        disabled_rules: rule ids to drop.
        counter: replaces the counter's thresholds (a repetition template's only).
        neutral: the patient's neutral reading of the counted signal (``target.neutral``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    template: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    target_rom: float | None = Field(default=None, ge=-240.0, le=240.0)
    rom_caps: tuple[RomCap, ...] | None = None
    pain_stop_nrs: int | None = Field(default=None, ge=PAIN_STOP_NRS_MIN, le=PAIN_NRS_MAX)
    hold_target_s: float | None = Field(default=None, ge=1.0, le=600.0)
    side: TemplateSide | None = None
    dosage: DosageOverrides | None = None
    rule_limits: dict[str, Annotated[float, Field(ge=-240.0, le=240.0)]] = Field(
        default_factory=dict)
    disabled_rules: tuple[str, ...] = ()
    counter: CounterOverrides | None = None
    neutral: float | None = Field(default=None, ge=-240.0, le=240.0)

    def sha256(self) -> str:
        """Hash of the canonical JSON of the fields that were set."""
        text = json.dumps(self.model_dump(mode="json", exclude_defaults=True),
                          sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_overrides(path: Path) -> TemplateOverrides:
    """Read and validate an overrides file (TOML).

    Raises:
        TemplateError: unreadable file, unknown key or out-of-range value; the message names
            the file and the field.
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TemplateError(f"{path}: cannot read overrides: {exc}") from exc
    try:
        return TemplateOverrides.model_validate(data)
    except ValidationError as exc:
        from hepvision.templates.loader import describe_errors

        raise TemplateError(f"{path}: invalid overrides: {describe_errors(exc)}") from exc


def apply_overrides(template: ExerciseTemplate, overrides: TemplateOverrides,
                    source: str | Path | None = None) -> ExerciseTemplate:
    """``template`` with ``overrides`` layered on top, validated again.

    The result's ``content_sha256`` is SHA-256 of ``"<base sha256>:<overrides sha256>"``;
    ``base_sha256`` and ``overrides_sha256`` record the two layers.

    ``source``: where the overrides came from (a file), named in error messages.

    Raises:
        TemplateError: an override names an unknown rule or another template, does not fit
            the template (a hold target on a repetition template) or makes the template
            invalid; the message names the overrides' source, the template and the field.
    """
    base_sha = template.base_sha256 or template.content_sha256
    data: dict[str, Any] = template.model_dump(mode="json")
    where = f"template {template.id!r} with overrides"
    if source is not None:
        where = f"{source}: {where}"
    if overrides.template is not None and overrides.template != template.id:
        raise TemplateError(f"{where}: field 'template': the overrides are for "
                            f"{overrides.template!r}")
    rule_ids = {r["id"] for r in data["form"]}
    unknown = sorted((set(overrides.rule_limits) | set(overrides.disabled_rules)) - rule_ids)
    if unknown:
        raise TemplateError(f"{where}: field 'rule_limits/disabled_rules': unknown form rule "
                            f"id(s) {', '.join(unknown)} (known: {', '.join(sorted(rule_ids))})")
    if overrides.target_rom is not None:
        data["target"]["rom"] = overrides.target_rom
    if overrides.rom_caps is not None:
        data["precautions"]["rom_caps"] = [c.model_dump(mode="json") for c in overrides.rom_caps]
    if overrides.pain_stop_nrs is not None:
        data["precautions"]["pain_stop_nrs"] = overrides.pain_stop_nrs
    if overrides.hold_target_s is not None:
        if not isinstance(template.counter, HoldCounter):
            raise TemplateError(f"{where}: field 'hold_target_s': {template.id!r} counts "
                                "repetitions, not a timed hold")
        data["counter"]["target_s"] = overrides.hold_target_s
    if overrides.side is not None:
        data["side"] = overrides.side
    if overrides.counter is not None:
        _layer_counter(data["counter"], template, overrides.counter, where)
    if overrides.neutral is not None:
        data["target"]["neutral"] = overrides.neutral
    if overrides.dosage is not None:
        _layer_dosage(data["dosage"], overrides.dosage)
    data["form"] = [
        {**r, "limit": overrides.rule_limits.get(r["id"], r["limit"])}
        for r in data["form"] if r["id"] not in overrides.disabled_rules
    ]
    over_sha = overrides.sha256()
    data["base_sha256"] = base_sha
    data["overrides_sha256"] = over_sha
    data["content_sha256"] = hashlib.sha256(f"{base_sha}:{over_sha}".encode()).hexdigest()
    try:
        return ExerciseTemplate.model_validate(data)
    except ValidationError as exc:
        from hepvision.templates.loader import describe_errors

        raise TemplateError(f"{where}: invalid result: {describe_errors(exc)}") from exc


def _layer_dosage(dosage: dict[str, Any], overrides: DosageOverrides) -> None:
    """Replace single dosage fields; giving ``per_day`` clears ``per_week`` and the reverse."""
    changes = overrides.model_dump(exclude_none=True)
    if "per_day" in changes:
        dosage["per_week"] = None
    if "per_week" in changes:
        dosage["per_day"] = None
    dosage.update(changes)


#: The counter table's field names per override field, by counter kind (angle, distance,
#: measure); see :mod:`hepvision.templates.counters`.
_COUNTER_FIELDS: dict[type, dict[str, str]] = {
    AngleCounter: {"start": "start_deg", "turn": "turn_deg", "hysteresis": "hysteresis_deg",
                   "min_amplitude": "min_amplitude_deg", "hold_s": "hold_s"},
    DistanceCounter: {"start": "start_ratio", "turn": "turn_ratio",
                      "hysteresis": "hysteresis_ratio", "min_amplitude": "min_amplitude_ratio",
                      "hold_s": "hold_s"},
    MeasureCounter: {"start": "start", "turn": "turn", "hysteresis": "hysteresis",
                     "min_amplitude": "min_amplitude", "hold_s": "hold_s"},
}


def _layer_counter(counter: dict[str, Any], template: ExerciseTemplate,
                   overrides: CounterOverrides, where: str) -> None:
    """Replace the counter's thresholds under its own field names."""
    names = _COUNTER_FIELDS.get(type(template.counter))
    if names is None:
        raise TemplateError(f"{where}: field 'counter': {template.id!r} is a timed hold; it "
                            "has no repetition thresholds")
    for field, value in overrides.model_dump(exclude_none=True).items():
        counter[names[field]] = value
