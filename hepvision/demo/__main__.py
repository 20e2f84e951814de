"""Regenerate the built-in demo recording: ``python -m hepvision.demo``."""

from __future__ import annotations

import sys

from hepvision.demo import DEMO_EXERCISE, DEMO_REPS, demo_recording_path
from hepvision.pose.recording import save_recording
from hepvision.synthetic import VIEW_YAWS_DEG, NoiseModel, synthesize

SEED = 20261123


def main() -> int:
    rec = synthesize(DEMO_EXERCISE, reps=DEMO_REPS, yaw_deg=VIEW_YAWS_DEG["side"],
                     fps=30.0, noise=NoiseModel(), seed=SEED)
    path = save_recording(
        demo_recording_path(), rec.results, fps=rec.fps,
        metadata={"source": "hepvision.synthetic", "motion": DEMO_EXERCISE,
                  "view": "side", "reps": rec.reps, "seed": SEED,
                  "noise": "NoiseModel() defaults", "backend": "synthetic"},
    )
    print(f"wrote {path} ({len(rec.results)} frames, {rec.reps} repetitions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
