"""The counting constants that are not given by a template or by clinical norms.

Every threshold a repetition must pass comes from the template (clinical ranges) or from the
patient's own measured rest level and range. What is left are a few choices about the shape
of a movement, collected here so that a benchmark can fit them honestly: ``hepvision bench
reps --folds K`` picks each fold's values from :data:`FIT_GRID` on the other folds' clips only,
and reports the held-out score. Library code uses :data:`DEFAULT_CONSTANTS`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CountingConstants:
    """Shape-of-movement constants of the counter (dimensionless shares).

    Attributes:
        finish_return_fraction: share of the way back from the peak to the rest threshold that
            counts a repetition cut off by the end of the recording. 0 (the turning point alone
            decides) is the counting convention of repetition datasets (RepCount-A, the shared
            labels: "a repetition counts when its turning point is inside the clip"), so it is
            set by that definition, not fitted.
        moved_share: a side "moved" in a repetition when its range reaches this share of the
            counter's minimum amplitude. It decides whether a two-sided template's repetition
            was made by one limb (reported on that side) or by both (judged on both sides'
            mean peak). Fitted per fold.
    """

    finish_return_fraction: float = 0.0
    moved_share: float = 0.5


DEFAULT_CONSTANTS = CountingConstants()

#: Candidate values per fittable constant (a field of :class:`CountingConstants`).
FIT_GRID: dict[str, tuple[float, ...]] = {
    "moved_share": (0.3, 0.5, 0.7),
}
