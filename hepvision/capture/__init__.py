"""Frame sources: video files, cameras and image folders, yielding timestamped frames."""

from hepvision.capture.frames import Frame
from hepvision.capture.sources import (
    CameraSource,
    FrameSource,
    ImageFolderSource,
    VideoFileSource,
    open_source,
)

__all__ = [
    "CameraSource",
    "Frame",
    "FrameSource",
    "ImageFolderSource",
    "VideoFileSource",
    "open_source",
]
