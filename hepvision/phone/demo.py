"""Animated demonstrations: a template's movement drawn by the synthetic-motion generator.

The page draws the skeleton of :func:`demonstration` on a canvas (no video files): two
repetitions of the exercise's motion (:data:`hepvision.synthetic.MOTIONS`), seen from the view
the template asks for, exact (no noise), at 15 frames/s.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from hepvision.app.protocol import landmarks_json
from hepvision.pose.types import POSE_CONNECTIONS
from hepvision.synthetic import MOTIONS, synthesize
from hepvision.templates import load_template

FPS = 15.0
REPS = 2
_YAW_DEG = {"front": 0.0, "side": 90.0, "any": 45.0}


class NoDemonstration(LookupError):
    """The exercise has no synthetic motion to show."""


@lru_cache(maxsize=64)
def demonstration(exercise_id: str) -> dict[str, Any]:
    """The animation of ``exercise_id``: ``fps``, ``aspect`` (width / height), ``connections``
    and ``frames`` (per frame 33 x [x, y, visibility] normalised to the image, or null).

    Raises:
        NoDemonstration: the generator has no motion for this exercise.
        HepvisionError: unknown template.
    """
    template = load_template(exercise_id)
    motion = template.id if template.id in MOTIONS else None
    if motion is None:
        raise NoDemonstration(f"no demonstration of {exercise_id!r}")
    rec = synthesize(motion, reps=REPS, yaw_deg=_YAW_DEG[template.view.value], fps=FPS,
                     noise=None, setup_s=0.5, rest_s=0.4)
    first = rec.results[0]
    return {"exercise": template.id, "fps": FPS,
            "aspect": first.image_width_px / first.image_height_px,
            "connections": [list(c) for c in POSE_CONNECTIONS],
            "frames": [landmarks_json(r.landmarks, r.detected) for r in rec.results]}
