"""hepvision: exercise-form tracking for physical-therapy home exercise programs.

Pipeline stages (each a subpackage, importing only downward)::

    capture -> pose -> filters -> kinematics -> reps / form -> session -> (upload | report)

The Python API (imported on first use, so ``import hepvision`` stays light and the therapist
server, which imports this package, never loads the pipeline)::

    import hepvision
    record = hepvision.track("clip.mp4", exercise="squat")      # a clip -> SessionRecord

    from hepvision import Tracker, TrackerOptions                # frames you already have
    with Tracker(TrackerOptions(exercise="squat")) as tracker:
        feedback = tracker.process(image, timestamp_ms)
    record = tracker.record
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from hepvision.session.api import RunningMode, Tracker, TrackerOptions, track
    from hepvision.session.record import SessionRecord

#: Public name -> the module that defines it (imported on first access).
_LAZY = {
    "RunningMode": "hepvision.session.api",
    "Tracker": "hepvision.session.api",
    "TrackerOptions": "hepvision.session.api",
    "track": "hepvision.session.api",
    "SessionRecord": "hepvision.session.record",
}

__all__ = ["RunningMode", "SessionRecord", "Tracker", "TrackerOptions", "__version__", "track"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hepvision' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
