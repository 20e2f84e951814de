"""Frame sources: a video file, a camera by index, a folder of images.

Each source is an iterable of :class:`~hepvision.capture.frames.Frame` with strictly increasing
integer-millisecond timestamps, and a context manager that releases the device or file.
Video files and cameras count the CPU time their reads take (``decode``, a
:class:`~hepvision.capture.frames.DecodeClock`).

Work per frame is bounded on purpose: a video file decodes to I420 planes on
:func:`~hepvision.capture.video_file.decode_threads` FFmpeg threads
(:mod:`hepvision.capture.video_file`), and a camera is asked for 640x480 unless told otherwise
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

from hepvision.capture.frames import DecodeClock, Frame, Monotonic, thread_cpu_ms
from hepvision.capture.video_file import VideoFileSource
from hepvision.errors import CaptureError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
#: What a camera is asked for when the caller gives no size (width, height).
DEFAULT_CAMERA_SIZE = (640, 480)
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
        mono = Monotonic()
        index = 0
        while True:
            # Stamped when the camera delivers the frame (grab), before it is decoded.
            ok = self._cap.grab()
            grabbed_ms = int((time.monotonic() - start) * 1000)
            t0 = thread_cpu_ms()
            ok, image = self._cap.retrieve() if ok else (False, None)
            if not ok or image is None:
                if index == 0:
                    raise CaptureError(f"camera {self.index} gives no frames")
                log.warning("camera %d stopped giving frames", self.index)
                return
            self.decode.add(thread_cpu_ms() - t0)
            yield Frame(image, mono(grabbed_ms), index)
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
