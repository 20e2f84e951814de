"""Exercise templates: the TOML schema (pydantic, at the file boundary) and its loader."""

from hepvision.templates.loader import (
    exercises_dir,
    list_templates,
    load_template,
    load_template_file,
)
from hepvision.templates.schema import (
    SCHEMA_VERSION,
    AngleCounter,
    DistanceCounter,
    ExerciseTemplate,
)

__all__ = ["SCHEMA_VERSION", "AngleCounter", "DistanceCounter", "ExerciseTemplate",
           "exercises_dir", "list_templates", "load_template", "load_template_file"]
