"""Filters: causal One-Euro for live use; Hampel, gap fill and zero-phase Butterworth offline."""

from hepvision.filters.offline import (
    butterworth_zero_phase,
    fill_short_gaps,
    hampel,
    smooth_for_summary,
)
from hepvision.filters.one_euro import OneEuroArray, OneEuroScalar, one_euro_lag_frames

__all__ = ["OneEuroArray", "OneEuroScalar", "butterworth_zero_phase", "fill_short_gaps",
           "hampel", "one_euro_lag_frames", "smooth_for_summary"]
