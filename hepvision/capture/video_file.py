"""Video files, decoded by FFmpeg through PyAV into I420 frames.

A video file is decoded to the codec's own picture (almost always I420: YUV 4:2:0, 8 bit) and
handed on as those planes (:meth:`Frame.from_i420`). The pose backends crop the model input
straight from them; converting a whole 720p frame to BGR, which OpenCV's ``VideoCapture``
always does, cost 0.5 ms of CPU a frame for pixels the model never sees (decoding a 720p H.264
frame: 2.66 ms of CPU with OpenCV's BGR output, 1.91 ms as I420 planes, one thread, measured on
the 2-core machine). Anything else (full-range ``yuvj420p`` from MJPEG, 4:2:2, 4:4:4, 10 bit,
odd sizes, a rotated stream) is converted to BGR by FFmpeg at decode time, as before.

Timestamps are the container's presentation times from the stream's start, in milliseconds
(what OpenCV's ``CAP_PROP_POS_MSEC`` reported), kept strictly increasing. A stream with a
display rotation (phone videos) is turned upright, as OpenCV and players do.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from hepvision.capture.frames import DecodeClock, Frame, Monotonic, thread_cpu_ms
from hepvision.errors import CaptureError

log = logging.getLogger(__name__)

#: Frames up to this many pixels decode on one thread, larger ones on two.
ONE_THREAD_MAX_PIXELS = 1920 * 1080
_UPRIGHT = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180,
            270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def decode_threads(width_px: int, height_px: int) -> int:
    """FFmpeg decoding threads for a video of this size: one up to 1920x1080 (frame threading
    costs CPU to hand frames between threads: 1.95 vs 2.64 ms of CPU per 720p H.264 frame with
    1 and 2), two above, where one thread cannot decode 4K at its frame rate."""
    return 1 if width_px * height_px <= ONE_THREAD_MAX_PIXELS else 2


def clockwise_turn_deg(display_rotation_deg: float) -> int:
    """The clockwise turn (0, 90, 180 or 270) that shows a frame upright, from FFmpeg's display
    matrix rotation (``av_display_rotation_get``: degrees counter-clockwise, as PyAV's
    ``VideoFrame.rotation`` gives it; a phone's portrait clip says -90)."""
    if not math.isfinite(display_rotation_deg):
        return 0
    turn = int(round(-display_rotation_deg / 90.0)) * 90 % 360
    return turn


class VideoFileSource:
    """Frames of a video file that FFmpeg can decode; timestamps from the container.

    Raises:
        CaptureError: the file is missing, is not a video, has no decodable video stream.
    """

    def __init__(self, path: str | Path, *, max_frames: int | None = None) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise CaptureError(f"video file not found: {self.path}")
        if self.path.is_dir():
            raise CaptureError(f"{self.path} is a directory, not a video file")
        try:
            self._container = av.open(str(self.path), mode="r")
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise CaptureError(f"cannot open {self.path}: not a video FFmpeg can read "
                               f"({exc})") from exc
        if not self._container.streams.video:
            self._container.close()
            raise CaptureError(f"{self.path} has no video stream")
        self._stream = self._container.streams.video[0]
        ctx = self._stream.codec_context
        threads = decode_threads(ctx.width, ctx.height)
        ctx.thread_count = threads
        ctx.thread_type = "AUTO" if threads > 1 else "SLICE"
        self.decode = DecodeClock()
        self._fps = _nominal_fps(self._stream)
        self._count = _frame_count(self._stream, self._fps)
        self._max_frames = max_frames
        self._start = self._stream.start_time or 0
        self._time_base = self._stream.time_base or Fraction(1, 1000)
        self._decoded = self._container.decode(self._stream)
        self._mono = Monotonic()
        first = self._next()
        if first is None:
            self._container.close()
            raise CaptureError(f"{self.path} has no decodable video frames")
        self._turn = clockwise_turn_deg(first.rotation)
        self._first: Frame | None = self._frame(first, 0)
        self._width_px, self._height_px = self._first.width_px, self._first.height_px

    def _next(self) -> Any:
        """The next decoded picture, or None at the end or at the first undecodable packet."""
        try:
            return next(self._decoded)
        except StopIteration:
            return None
        except (av.FFmpegError, ValueError) as exc:
            log.debug("%s: decoding stopped: %s", self.path.name, exc)
            return None

    def _frame(self, picture: Any, index: int) -> Frame:
        pts = picture.pts
        if pts is not None:
            # The arithmetic (and so the rounding) of OpenCV's CAP_PROP_POS_MSEC.
            seconds = float(pts - self._start) * (self._time_base.numerator
                                                  / self._time_base.denominator)
            ts = int(round(seconds * 1000.0))
        else:
            ts = int(round(index * 1000.0 / self._fps))
        ts = self._mono(ts)
        if (picture.format.name == "yuv420p" and self._turn == 0
                and picture.width % 2 == 0 and picture.height % 2 == 0):
            return Frame.from_i420(picture.to_ndarray(), ts, index)
        image = picture.to_ndarray(format="bgr24")
        if self._turn:
            image = cv2.rotate(image, _UPRIGHT[self._turn])
        return Frame(np.ascontiguousarray(image), ts, index)

    @property
    def decoding_threads(self) -> int:
        """FFmpeg decoding threads this file is decoded on."""
        return int(self._stream.codec_context.thread_count)

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def frame_count(self) -> int | None:
        if self._max_frames is not None and self._count is not None:
            return min(self._count, self._max_frames)
        return self._count if self._max_frames is None else self._max_frames

    @property
    def width_px(self) -> int:
        return self._width_px

    @property
    def height_px(self) -> int:
        return self._height_px

    def __iter__(self) -> Iterator[Frame]:
        if self._first is None:
            raise CaptureError(f"{self.path} was already read; open it again")
        first, self._first = self._first, None
        yield first
        index = 1
        while self._max_frames is None or index < self._max_frames:
            t0 = thread_cpu_ms()
            picture = self._next()
            if picture is None:
                break
            frame = self._frame(picture, index)
            self.decode.add(thread_cpu_ms() - t0)
            yield frame
            index += 1
        if self._count is not None and index < self._count - 1 and self._max_frames is None:
            log.warning("%s: decoding stopped at frame %d of %d (truncated or corrupt file)",
                        self.path.name, index, self._count)

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> VideoFileSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _nominal_fps(stream: Any) -> float:
    """The stream's average frame rate (its guessed rate when that is missing); 30 when
    neither is plausible."""
    for rate in (stream.average_rate, stream.guessed_rate):
        if rate:
            fps = float(rate)
            if math.isfinite(fps) and 1.0 <= fps <= 1000.0:
                return fps
    return 30.0


def _frame_count(stream: Any, fps: float) -> int | None:
    """Frames in the stream as the container says, else estimated from its duration."""
    if stream.frames:
        return int(stream.frames)
    if stream.duration and stream.time_base:
        estimate = int(round(float(stream.duration * stream.time_base) * fps))
        return estimate if estimate > 0 else None
    return None
