"""Exercise templates: the TOML schema (pydantic, at the file boundary), its loader and
per-patient overrides.

Imports only :mod:`hepvision.vocabulary`, :mod:`hepvision.errors`, pydantic and the standard
library, so the therapist server can read the library without the pose pipeline.
"""

from hepvision.templates.fields import (
    ConcentricPhase,
    Framing,
    HoldSide,
    Posture,
    RuleKind,
    RuleReference,
    RuleSide,
    ViewCheck,
)
from hepvision.templates.loader import (
    exercises_dir,
    list_templates,
    load_template,
    load_template_file,
)
from hepvision.templates.overrides import (
    CounterOverrides,
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

__all__ = ["SCHEMA_VERSION", "AngleCounter", "Camera", "ConcentricPhase", "CounterOverrides",
           "DistanceCounter",
           "Dosage", "DosageOverrides", "ExerciseTemplate", "FormRule", "Framing",
           "HoldCondition", "HoldCounter", "HoldSide", "MeasureCounter", "Posture",
           "Precautions", "RomCap", "RuleKind", "RuleReference", "RuleSide", "TemplateOverrides",
           "ViewCheck", "apply_overrides", "exercises_dir", "list_templates", "load_overrides",
           "load_template", "load_template_file"]
