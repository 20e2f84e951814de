"""Blank frames that line up with the built-in demo recording (for sessions run on it).

``write_demo_frames(folder)`` writes one small black PNG per frame of the demo recording, so
``--video FOLDER --backend replay --landmarks DEMO.npz`` is a clip whose poses are the
recording's: ``track`` and ``live`` then run the whole pipeline after pose on known motion.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from hepvision.pose.recording import load_recording
from hepvision.demo import demo_recording_path


def write_demo_frames(folder: Path) -> Path:
    """``folder`` with one PNG per demo frame (named in order, 30 fps as the recording)."""
    folder.mkdir(parents=True, exist_ok=True)
    count = len(load_recording(demo_recording_path()))
    blank = np.zeros((24, 32, 3), np.uint8)
    for index in range(count):
        cv2.imwrite(str(folder / f"{index:04d}.png"), blank)
    return folder


def demo_images(count: int | None = None) -> list[tuple[np.ndarray, int]]:
    """(image, timestamp_ms) pairs at the demo recording's timestamps (blank images)."""
    recording = load_recording(demo_recording_path())
    blank = np.zeros((24, 32, 3), np.uint8)
    results = recording.results if count is None else recording.results[:count]
    return [(blank, r.timestamp_ms) for r in results]
