"""The built-in default: a synthetic squat recording replayed through every stage after pose.

The recording ``squat_side_synthetic.npz`` was made by hepvision's own synthetic-motion
generator (no third-party clip); ``python -m hepvision.demo`` regenerates it byte for byte.
"""

from __future__ import annotations

from pathlib import Path

DEMO_EXERCISE = "squat"
DEMO_REPS = 8
DEMO_FILE = "squat_side_synthetic.npz"


def demo_recording_path() -> Path:
    """Path of the bundled demo recording."""
    return Path(__file__).resolve().parent / DEMO_FILE
