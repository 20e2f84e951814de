"""Short generated clips for the batch tests: a synthetic exercise drawn as a figure.

The motion comes from :func:`hepvision.synthetic.synthesize` (known repetitions); each frame
draws its landmarks as a filled torso, thick limbs and a head on a plain background, and is
written with OpenCV (MJPG .avi, no codec needed beyond OpenCV's own). BlazePose finds this
figure in most frames, which is all the batch tests need: real decoding and real pose per
clip, a few seconds each.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from hepvision.synthetic import synthesize

#: Limb segments drawn (BlazePose landmark ids).
SEGMENTS = ((11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
            (23, 25), (25, 27), (24, 26), (26, 28), (27, 31), (28, 32), (27, 29), (28, 30))
SIZE_PX = (384, 216)


def write_clip(path: Path, *, motion: str = "squat", reps: int = 2, fps: float = 15.0,
               yaw_deg: float = 20.0, seed: int = 0) -> Path:
    """Render ``reps`` repetitions of ``motion`` to ``path`` (MJPG); returns ``path``."""
    rec = synthesize(motion, reps=reps, yaw_deg=yaw_deg, fps=fps, setup_s=0.5, out_s=0.8,
                     back_s=0.8, rest_s=0.3, seed=seed)
    width, height = SIZE_PX
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    try:
        for result in rec.results:
            writer.write(_draw(result.landmarks, width, height))
    finally:
        writer.release()
    return path


def _draw(landmarks: np.ndarray, width: int, height: int) -> np.ndarray:
    image = np.full((height, width, 3), (200, 210, 220), np.uint8)

    def at(i: int) -> tuple[int, int]:
        return int(landmarks[i, 0] * width), int(landmarks[i, 1] * height)

    torso = np.array([at(11), at(12), at(24), at(23)], np.int32)
    cv2.fillConvexPoly(image, torso, (60, 80, 160))
    for a, b in SEGMENTS:
        cv2.line(image, at(a), at(b), (40, 60, 120), 12, cv2.LINE_AA)
    radius = max(14, int(abs(landmarks[11, 0] - landmarks[12, 0]) * width * 0.5) + 12)
    cv2.circle(image, at(0), radius, (150, 170, 210), -1, cv2.LINE_AA)
    for eye in (2, 5):
        cv2.circle(image, at(eye), 3, (20, 20, 20), -1)
    return image


def write_corrupt_clip(path: Path) -> Path:
    """A file named like a clip whose bytes are not a video."""
    path.write_bytes(b"RIFF\x00\x00\x00\x00AVI not really a video" * 50)
    return path
