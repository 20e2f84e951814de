"""I420 frames: lazy BGR, the plane-by-plane crop, video files decoded to planes (issue 17)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from hepvision.capture.frames import Frame
from hepvision.capture.video_file import VideoFileSource, clockwise_turn_deg
from hepvision.pose.crop import SquareCropper, chroma_matrix
from hepvision.pose.geometry import RotatedRect, crop_matrix


def _scene(width: int = 320, height: int = 240) -> np.ndarray:
    """A smooth colour scene (no edges finer than the chroma planes can carry)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    bgr = np.stack([128 + 100 * np.sin(x / 23.0), 128 + 100 * np.cos(y / 17.0),
                    128 + 100 * np.sin((x + y) / 31.0)], axis=-1)
    return np.clip(bgr, 0, 255).astype(np.uint8)


def test_i420_frame_converts_to_bgr_once_and_only_when_read() -> None:
    bgr = _scene()
    i420 = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420)
    frame = Frame.from_i420(i420, 40, 1)
    assert (frame.width_px, frame.height_px) == (320, 240)
    assert frame.i420 is i420
    first = frame.image
    assert first.shape == (240, 320, 3) and first.dtype == np.uint8
    assert frame.image is first  # kept, not converted again
    assert np.abs(first.astype(int) - bgr.astype(int)).mean() < 3.0
    moved = frame.retimed(80, 2)
    assert moved.i420 is i420 and (moved.timestamp_ms, moved.index) == (80, 2)


@pytest.mark.parametrize("shape", [(240, 320), (359, 320), (360, 321)])
def test_i420_frame_refuses_planes_of_the_wrong_shape(shape: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="I420"):
        Frame.from_i420(np.zeros(shape, np.uint8) if shape != (240, 320)
                        else np.zeros((240, 320, 3), np.uint8), 0, 0)


def test_chroma_matrix_of_the_identity_is_the_identity() -> None:
    eye = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert np.allclose(chroma_matrix(eye), eye)
    half = np.array([[0.5, 0.0, 0.0], [0.0, 0.5, 0.0]])  # luma halved: chroma halved, shifted
    assert np.allclose(chroma_matrix(half), [[0.5, 0.0, -0.125], [0.0, 0.5, -0.125]])


@pytest.mark.parametrize("rotation_rad", [0.0, 0.4, -1.2])
def test_crop_from_planes_matches_the_crop_from_bgr(rotation_rad: float) -> None:
    """The same pixels (the planes, and the BGR frame made from them) give the same crop, to
    about one grey level: only the chroma is resampled differently (warped at half size, then
    repeated, instead of repeated, then warped)."""
    i420 = cv2.cvtColor(_scene(), cv2.COLOR_BGR2YUV_I420)
    bgr = cv2.cvtColor(i420, cv2.COLOR_YUV2BGR_I420)
    roi = RotatedRect(170.0, 110.0, 200.0, 200.0, rotation_rad)  # partly outside the frame
    matrix = crop_matrix(roi, 256, 256)
    cropper = SquareCropper(256)
    from_bgr = cropper.from_bgr(bgr, matrix).copy()
    from_planes = cropper.from_i420(i420, matrix).copy()
    diff = np.abs(from_bgr.astype(int) - from_planes.astype(int))
    assert diff.mean() < 1.5, diff.mean()
    assert np.percentile(diff, 99) <= 6


def test_cropper_refuses_an_odd_side() -> None:
    with pytest.raises(ValueError, match="even"):
        SquareCropper(63)


@pytest.mark.parametrize(("display_deg", "turn"), [(0.0, 0), (-90.0, 90), (90.0, 270),
                                                    (180.0, 180), (-180.0, 180),
                                                    (float("nan"), 0)])
def test_display_rotation_becomes_a_clockwise_turn(display_deg: float, turn: int) -> None:
    assert clockwise_turn_deg(display_deg) == turn


def test_h264_file_decodes_to_planes_with_container_times(tmp_path: Path) -> None:
    import av

    path = tmp_path / "clip.mp4"
    with av.open(str(path), mode="w") as out:
        stream = out.add_stream("libx264" if "libx264" in av.codecs_available else "mpeg4",
                                rate=25)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for i in range(10):
            image = np.roll(_scene(), 5 * i, axis=1)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    with VideoFileSource(path) as src:
        frames = list(src)
        assert (src.width_px, src.height_px) == (320, 240)
        assert src.fps == pytest.approx(25.0)
    assert [f.timestamp_ms for f in frames] == [i * 40 for i in range(10)]
    assert all(f.i420 is not None and f.i420.shape == (360, 320) for f in frames)
    expected = np.roll(_scene(), 5 * 3, axis=1).astype(int)
    assert np.abs(frames[3].image.astype(int) - expected).mean() < 6.0
