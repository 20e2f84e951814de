"""Analysis: the per-frame path after pose (used by ``track`` and live sessions)."""

from hepvision.analysis.analyzer import ExerciseAnalyzer, counter_settings
from hepvision.analysis.constants import DEFAULT_CONSTANTS, FIT_GRID, CountingConstants
from hepvision.analysis.free import count_reps_template_free, count_template_free
from hepvision.analysis.records import ExerciseAnalysis, FrameFeedback, Repetition

__all__ = ["DEFAULT_CONSTANTS", "FIT_GRID", "CountingConstants", "ExerciseAnalysis",
           "ExerciseAnalyzer", "FrameFeedback", "Repetition",
           "count_reps_template_free", "count_template_free", "counter_settings"]
