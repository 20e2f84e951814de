"""A clip as a fake camera for Chromium: YUV4MPEG2 files for ``--use-file-for-fake-video-capture``.

Used by the browser tests and the benchmark (and handy for a demo without a camera):
Chromium plays the file at its declared frame rate as if it were a webcam, and loops it.
A blank lead-in and tail can be added so that a test can end the set inside the blank tail:
exactly one pass of the clip is seen, however late the page started or stopped sending.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

#: Chromium flags for a headless run with the fake camera (add the file flag).
CHROMIUM_ARGS = (
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


@dataclass(frozen=True, slots=True)
class FakeClip:
    """A written Y4M file.

    Attributes:
        path: the file.
        fps: its frame rate (as declared in the header).
        width_px, height_px: frame size.
        clip_frames: frames of the clip itself; ``lead_frames`` blank frames come before
            it and ``tail_frames`` after it.
    """

    path: Path
    fps: float
    width_px: int
    height_px: int
    lead_frames: int
    clip_frames: int
    tail_frames: int

    @property
    def clip_s(self) -> float:
        return self.clip_frames / self.fps

    @property
    def lead_s(self) -> float:
        return self.lead_frames / self.fps

    @property
    def period_s(self) -> float:
        """One loop of the file, seconds."""
        return (self.lead_frames + self.clip_frames + self.tail_frames) / self.fps


def write_y4m(frames: Iterable[np.ndarray], path: str | Path, fps: float) -> int:
    """Write BGR frames (all the same even width and height) as 4:2:0 YUV4MPEG2; returns
    the number of frames written."""
    rate = Fraction(fps).limit_denominator(1001)
    out = Path(path)
    n = 0
    with out.open("wb") as f:
        for img in frames:
            h, w = img.shape[:2]
            if n == 0:
                if w % 2 or h % 2:
                    raise ValueError(f"frame size {w}x{h}: 4:2:0 needs even sizes")
                f.write(f"YUV4MPEG2 W{w} H{h} F{rate.numerator}:{rate.denominator} Ip A1:1 "
                        "C420jpeg\n".encode())
            f.write(b"FRAME\n")
            f.write(cv2.cvtColor(img, cv2.COLOR_BGR2YUV_I420).tobytes())
            n += 1
    return n


def clip_to_y4m(video: str | Path, path: str | Path, *, max_width_px: int = 640,
                lead_s: float = 0.0, tail_s: float = 0.0, max_s: float | None = None,
                size_px: tuple[int, int] | None = None, fps: float | None = None) -> FakeClip:
    """Convert ``video`` with ``lead_s`` / ``tail_s`` seconds of black frames before and
    after it; ``max_s`` cuts it.

    Frames are downscaled to ``max_width_px`` (aspect kept), or centre-cropped to the aspect
    of ``size_px`` and resized to it. ``fps`` declares another frame rate than the clip's
    (every frame is kept: the clip plays faster or slower).
    """
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise OSError(f"cannot open {video}")
    fps = fps or cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames: list[np.ndarray] = []
    try:
        while max_s is None or len(frames) < round(max_s * fps):
            ok, img = cap.read()
            if not ok:
                break
            frames.append(_resize(img, max_width_px, size_px))
    finally:
        cap.release()
    if not frames:
        raise OSError(f"no frames in {video}")
    blank = np.zeros_like(frames[0])
    lead, tail = round(lead_s * fps), round(tail_s * fps)
    write_y4m([*([blank] * lead), *frames, *([blank] * tail)], path, fps)
    h, w = frames[0].shape[:2]
    return FakeClip(Path(path), float(Fraction(fps).limit_denominator(1001)), w, h, lead,
                    len(frames), tail)


def _resize(img: np.ndarray, max_width_px: int, size_px: tuple[int, int] | None) -> np.ndarray:
    h, w = img.shape[:2]
    if size_px is not None:
        tw, th = size_px
        if w * th > h * tw:  # wider than the target: crop the sides
            cw = round(h * tw / th)
            img = img[:, (w - cw) // 2:(w - cw) // 2 + cw]
        elif w * th < h * tw:  # taller: crop top and bottom
            ch = round(w * th / tw)
            img = img[(h - ch) // 2:(h - ch) // 2 + ch]
        h, w = img.shape[:2]
    elif w > max_width_px:
        tw, th = max_width_px, round(h * max_width_px / w)
    else:
        tw, th = w, h
    tw, th = tw - tw % 2, th - th % 2
    if (tw, th) == (w, h):
        return np.ascontiguousarray(img)
    return cv2.resize(img, (tw, th), interpolation=cv2.INTER_AREA)
