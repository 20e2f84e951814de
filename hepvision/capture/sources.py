"""Frame sources: a video file, a camera by index, a folder of images.

Each source is an iterable of :class:`~hepvision.capture.frames.Frame` with strictly increasing
integer-millisecond timestamps, and a context manager that releases the device or file.
Video files and cameras count the CPU time their reads take (``decode``, a
:class:`~hepvision.capture.frames.DecodeClock`).

Work per frame is bounded on purpose: a video file decodes on :func:`decode_threads` FFmpeg
threads (one up to 1920x1080: frame threading costs CPU to hand frames between threads, 1.95
vs 2.64 ms of CPU per 720p H.264 frame measured with 1 and 2; two above, where one thread
cannot decode 4K at its frame rate), and a camera is asked for 640x480 unless told otherwise
(:data:`DEFAULT_CAMERA_SIZE`: no exercise template needs more, and decoding, copying and
drawing a 1080p webcam frame costs several times as much).
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from hepvision.capture.frames import DecodeClock, Frame, thread_cpu_ms
from hepvision.errors import CaptureError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
#: What a camera is asked for when the caller gives no size (width, height).
DEFAULT_CAMERA_SIZE = (640, 480)
#: Frames up to this many pixels decode on one thread, larger ones on two.
ONE_THREAD_MAX_PIXELS = 1920 * 1080


def decode_threads(width_px: int, height_px: int) -> int:
    """FFmpeg decoding threads for a video of this size (see the module docstring)."""
    return 1 if width_px * height_px <= ONE_THREAD_MAX_PIXELS else 2


class FrameSource(Protocol):
    """An iterable of frames that knows its nominal rate and size."""

    @property
    def fps(self) -> float: ...

    @property
    def frame_count(self) -> int | None: ...

    def __iter__(self) -> Iterator[Frame]: ...

    def close(self) -> None: ...

    def __enter__(self) -> FrameSource: ...

    def __exit__(self, *exc: object) -> None: ...


@contextlib.contextmanager
def opencv_log_silenced() -> Iterator[None]:
    """Silence OpenCV's own log (``[ WARN:0@...]`` lines on stderr) inside the block only,
    restoring the level it had; the caller reports failures itself, in one line."""
    previous = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(previous)


class _Monotonic:
    """Keeps timestamps strictly increasing when a container reports repeats or jumps back."""

    def __init__(self) -> None:
        self._last: int | None = None

    def __call__(self, timestamp_ms: int) -> int:
        if self._last is not None and timestamp_ms <= self._last:
            timestamp_ms = self._last + 1
        self._last = timestamp_ms
        return timestamp_ms


class VideoFileSource:
    """Frames of a video file that OpenCV can decode; timestamps from the container.

    Raises:
        CaptureError: the file is missing, is not a video, has no decodable video stream.
    """

    def __init__(self, path: str | Path, *, max_frames: int | None = None) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise CaptureError(f"video file not found: {self.path}")
        if self.path.is_dir():
            raise CaptureError(f"{self.path} is a directory, not a video file")
        self._cap = self._open(1)
        threads = decode_threads(self.width_px, self.height_px)
        if threads != 1:
            self._cap.release()
            self._cap = self._open(threads)
        self.decode = DecodeClock()
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self._fps = fps if math.isfinite(fps) and 1.0 <= fps <= 1000.0 else 30.0
        count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self._count = count if count > 0 else None
        self._max_frames = max_frames
        self._first: Frame | None = None
        ok, image = self._cap.read()
        if not ok or image is None or image.size == 0:
            self._cap.release()
            raise CaptureError(f"{self.path} has no decodable video frames")
        self._first = Frame(np.ascontiguousarray(image), self._timestamp(0), 0)

    def _open(self, threads: int) -> cv2.VideoCapture:
        cap = cv2.VideoCapture(str(self.path), cv2.CAP_ANY, [cv2.CAP_PROP_N_THREADS, threads])
        if not cap.isOpened():
            cap.release()
            raise CaptureError(f"cannot open {self.path}: not a video OpenCV can read")
        return cap

    @property
    def decoding_threads(self) -> int:
        """Decoding threads the backend reports using (0 when it does not say)."""
        return int(self._cap.get(cv2.CAP_PROP_N_THREADS) or 0)

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
        return int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))

    @property
    def height_px(self) -> int:
        return int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))

    def _timestamp(self, index: int) -> int:
        pos = self._cap.get(cv2.CAP_PROP_POS_MSEC)
        # OpenCV reports the position of the frame just read; fall back to index / fps.
        if pos is not None and math.isfinite(pos) and (pos > 0 or index == 0):
            return int(round(pos))
        return int(round(index * 1000.0 / self._fps))

    def __iter__(self) -> Iterator[Frame]:
        if self._first is None:
            raise CaptureError(f"{self.path} was already read; open it again")
        mono = _Monotonic()
        first, self._first = self._first, None
        yield Frame(first.image, mono(first.timestamp_ms), 0)
        index = 1
        while self._max_frames is None or index < self._max_frames:
            t0 = thread_cpu_ms()
            ok, image = self._cap.read()
            if not ok or image is None:
                break
            frame = Frame(np.ascontiguousarray(image), mono(self._timestamp(index)), index)
            self.decode.add(thread_cpu_ms() - t0)
            yield frame
            index += 1
        if self._count is not None and index < self._count - 1 and self._max_frames is None:
            log.warning("%s: decoding stopped at frame %d of %d (truncated or corrupt file)",
                        self.path.name, index, self._count)

    def close(self) -> None:
        self._cap.release()

    def __enter__(self) -> VideoFileSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class CameraSource:
    """Frames from a camera by index; timestamps from a monotonic clock since opening.

    Without ``width_px``/``height_px`` the camera is asked for :data:`DEFAULT_CAMERA_SIZE`
    (it may deliver another size; frames carry their own).
    """

    def __init__(self, index: int, *, width_px: int | None = DEFAULT_CAMERA_SIZE[0],
                 height_px: int | None = DEFAULT_CAMERA_SIZE[1],
                 fps: float | None = None) -> None:
        with opencv_log_silenced():  # each backend tried logs its failure; ours is one line
            self._cap = cv2.VideoCapture(index)
        if not self._cap.isOpened():
            self._cap.release()
            raise CaptureError(f"cannot open camera {index}: no such camera or it is in use")
        if width_px:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width_px)
        if height_px:
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height_px)
        if fps:
            self._cap.set(cv2.CAP_PROP_FPS, fps)
        reported = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self._fps = reported if math.isfinite(reported) and reported > 0 else 30.0
        self.index = index
        self.decode = DecodeClock()

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def frame_count(self) -> int | None:
        return None

    def __iter__(self) -> Iterator[Frame]:
        start = time.monotonic()
        mono = _Monotonic()
        index = 0
        while True:
            t0 = thread_cpu_ms()
            ok, image = self._cap.read()
            if not ok or image is None:
                if index == 0:
                    raise CaptureError(f"camera {self.index} gives no frames")
                log.warning("camera %d stopped giving frames", self.index)
                return
            self.decode.add(thread_cpu_ms() - t0)
            yield Frame(image, mono(int((time.monotonic() - start) * 1000)), index)
            index += 1

    def close(self) -> None:
        self._cap.release()

    def __enter__(self) -> CameraSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ImageFolderSource:
    """The images of a folder in name order, as frames spaced at ``fps``.

    Unreadable images are skipped with a warning; a folder with no readable image is an error.
    """

    def __init__(self, folder: str | Path, *, fps: float = 30.0) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise CaptureError(f"image folder not found: {self.folder}")
        self._paths = sorted(p for p in self.folder.iterdir()
                             if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        if not self._paths:
            raise CaptureError(f"{self.folder} contains no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
        if not (math.isfinite(fps) and fps > 0):
            raise CaptureError(f"image folder frame rate must be positive, got {fps}")
        self._fps = float(fps)
        self.decode = DecodeClock()

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def frame_count(self) -> int | None:
        return len(self._paths)

    def __iter__(self) -> Iterator[Frame]:
        produced = 0
        for index, path in enumerate(self._paths):
            t0 = thread_cpu_ms()
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                log.warning("skipping unreadable image %s", path.name)
                continue
            self.decode.add(thread_cpu_ms() - t0)
            yield Frame(image, int(round(index * 1000.0 / self._fps)), produced)
            produced += 1
        if produced == 0:
            raise CaptureError(f"no image in {self.folder} could be decoded")

    def close(self) -> None:
        pass

    def __enter__(self) -> ImageFolderSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_source(spec: str | Path, *, max_frames: int | None = None,
                folder_fps: float = 30.0) -> VideoFileSource | CameraSource | ImageFolderSource:
    """Open a frame source from a command-line spec.

    ``spec`` is a camera index (``"0"``), a folder of images, or a video file path.
    """
    text = str(spec)
    if text.isdigit():
        return CameraSource(int(text))
    path = Path(text)
    if path.is_dir():
        return ImageFolderSource(path, fps=folder_fps)
    return VideoFileSource(path, max_frames=max_frames)
