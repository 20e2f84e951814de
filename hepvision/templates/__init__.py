"""Exercise templates: the TOML schema (pydantic, at the file boundary), its loader and
per-patient overrides."""

from hepvision.templates.loader import (
    exercises_dir,
    list_templates,
    load_template,
    load_template_file,
)
from hepvision.templates.overrides import (
    DosageOverrides,
    TemplateOverrides,
    apply_overrides,
    load_overrides,
)
from hepvision.templates.schema import (
    SCHEMA_VERSION,
    AngleCounter,
    Camera,
    DistanceCounter,
    Dosage,
    ExerciseTemplate,
    FormRule,
    HoldCondition,
    HoldCounter,
    MeasureCounter,
    Precautions,
    RomCap,
)

__all__ = ["SCHEMA_VERSION", "AngleCounter", "Camera", "DistanceCounter", "Dosage",
           "DosageOverrides", "ExerciseTemplate", "FormRule", "HoldCondition", "HoldCounter",
           "MeasureCounter", "Precautions", "RomCap", "TemplateOverrides", "apply_overrides",
           "exercises_dir", "list_templates", "load_overrides", "load_template",
           "load_template_file"]
