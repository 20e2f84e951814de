"""Frame sources: timestamps, sizes, and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from hepvision.capture import ImageFolderSource, VideoFileSource, open_source
from hepvision.capture.prefetch import prefetched, timed_frames
from hepvision.errors import CaptureError


def write_video(path: Path, frames: int = 12, size: tuple[int, int] = (64, 48),
                fps: float = 10.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    assert writer.isOpened()
    for i in range(frames):
        image = np.full((size[1], size[0], 3), i * 10 % 255, dtype=np.uint8)
        writer.write(image)
    writer.release()
    return path


def test_video_file_frames_have_container_timestamps(tmp_path: Path) -> None:
    video = write_video(tmp_path / "clip.avi", frames=12, fps=10.0)
    with VideoFileSource(video) as src:
        frames = list(src)
        assert src.fps == pytest.approx(10.0)
    assert len(frames) == 12
    assert [f.index for f in frames] == list(range(12))
    assert [f.timestamp_ms for f in frames] == [i * 100 for i in range(12)]
    assert frames[0].image.shape == (48, 64, 3)
    assert frames[0].image.dtype == np.uint8


def test_max_frames_stops_early(tmp_path: Path) -> None:
    video = write_video(tmp_path / "clip.avi", frames=12)
    with VideoFileSource(video, max_frames=5) as src:
        assert len(list(src)) == 5


def test_missing_file_is_a_capture_error(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="not found"):
        VideoFileSource(tmp_path / "nope.mp4")


def test_file_that_is_not_a_video(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("this is not a video\n" * 50)
    with pytest.raises(CaptureError):
        VideoFileSource(bogus)


def test_truncated_video_is_an_error_or_yields_what_decodes(tmp_path: Path) -> None:
    video = write_video(tmp_path / "clip.avi", frames=30)
    data = video.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    try:
        with VideoFileSource(cut) as src:
            frames = list(src)
    except CaptureError:
        return
    assert 0 < len(frames) < 30


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(CaptureError):
        VideoFileSource(empty)


def test_image_folder_in_name_order(tmp_path: Path) -> None:
    for i in (2, 0, 1):
        cv2.imwrite(str(tmp_path / f"img_{i:03d}.png"), np.full((20, 30, 3), i, np.uint8))
    (tmp_path / "readme.txt").write_text("ignored")
    with open_source(tmp_path, folder_fps=20.0) as src:
        frames = list(src)
    assert isinstance(src, ImageFolderSource)
    assert [int(f.image[0, 0, 0]) for f in frames] == [0, 1, 2]
    assert [f.timestamp_ms for f in frames] == [0, 50, 100]


def test_image_folder_without_images(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(CaptureError, match="no images"):
        ImageFolderSource(tmp_path)


def test_prefetched_yields_same_frames_as_direct_read(tmp_path: Path) -> None:
    video = write_video(tmp_path / "clip.avi", frames=20)
    with VideoFileSource(video) as a:
        direct = [t.frame.timestamp_ms for t in timed_frames(a)]
    with VideoFileSource(video) as b:
        ahead = list(prefetched(b, depth=3))
    assert [t.frame.timestamp_ms for t in ahead] == direct
    assert all(t.decode_ms >= 0 for t in ahead)


def test_prefetched_reraises_source_errors() -> None:
    def broken():
        from hepvision.capture.frames import Frame

        yield Frame(np.zeros((2, 2, 3), np.uint8), 0, 0)
        raise CaptureError("camera unplugged")

    got = []
    with pytest.raises(CaptureError, match="unplugged"):
        for item in prefetched(broken()):
            got.append(item)
    assert len(got) == 1


def test_shared_clip_timestamps_increase(shared_videos: Path) -> None:
    with VideoFileSource(shared_videos / "bicep_curl_side_kshitij.mp4") as src:
        times = [f.timestamp_ms for f in src]
    assert len(times) == 67
    assert all(b > a for a, b in zip(times, times[1:]))
    assert times[-1] == pytest.approx(2200, abs=40)


def test_file_with_no_video_stream(tmp_path: Path) -> None:
    import wave

    audio = tmp_path / "voice_note.wav"
    with wave.open(str(audio), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 8000)
    with pytest.raises(CaptureError):
        VideoFileSource(audio)
