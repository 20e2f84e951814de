"""Cutting a model's square input out of a frame with one affine warp per plane.

A frame comes as BGR pixels or as the decoder's I420 planes
(:class:`~hepvision.capture.frames.Frame`). From I420 the crop is taken plane by plane: the Y
plane warped to the crop's size, the U and V planes (half size) warped to half the crop's
size, and only the small crop converted to RGB (OpenCV's BT.601 limited-range conversion, the
one FFmpeg and OpenCV use to turn the whole frame into BGR). A 720p frame is never converted
whole: the whole-frame conversion this replaces cost 0.5 ms of CPU a frame; the three warps
and the small conversion cost about what one BGR warp did.

Chroma samples are taken as centred on their 2x2 block of luma samples (what OpenCV's I420
conversion assumes); H.264's default left siting differs by a quarter of a chroma sample, well
under the model's resolution.
"""

from __future__ import annotations

import cv2
import numpy as np

# Chroma sample (c) <-> luma position (l) within a plane pair: l = 2 c + 0.5.
_CHROMA_TO_LUMA = np.array([[2.0, 0.0, 0.5], [0.0, 2.0, 0.5], [0.0, 0.0, 1.0]])
_LUMA_TO_CHROMA = np.linalg.inv(_CHROMA_TO_LUMA)


def chroma_matrix(luma_matrix: np.ndarray) -> np.ndarray:
    """The (2, 3) affine map between chroma planes for ``luma_matrix``, a (2, 3) map from
    frame pixels to crop pixels (both full-resolution luma coordinates)."""
    m = np.vstack([luma_matrix, [0.0, 0.0, 1.0]])
    return (_LUMA_TO_CHROMA @ m @ _CHROMA_TO_LUMA)[:2]


class SquareCropper:
    """Cuts ``size`` x ``size`` RGB crops into one reusable buffer.

    Args:
        size: side of the crop, pixels (even).
        border: OpenCV border mode outside the frame.
    """

    def __init__(self, size: int, border: int = cv2.BORDER_REPLICATE) -> None:
        if size <= 0 or size % 2:
            raise ValueError(f"crop side must be a positive even number, got {size}")
        self.size = size
        self._border = border
        self.rgb = np.empty((size, size, 3), np.uint8)
        self._i420 = np.empty((size * 3 // 2, size), np.uint8)
        quarter = size * size // 4
        flat = self._i420.reshape(-1)
        self._y = self._i420[:size]
        self._u = flat[size * size: size * size + quarter].reshape(size // 2, size // 2)
        self._v = flat[size * size + quarter:].reshape(size // 2, size // 2)

    def from_bgr(self, image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
        """The crop of a (H, W, 3) BGR frame under ``matrix`` (frame -> crop pixels), RGB."""
        cv2.warpAffine(image, matrix, (self.size, self.size), dst=self.rgb,
                       flags=cv2.INTER_LINEAR, borderMode=self._border)
        cv2.cvtColor(self.rgb, cv2.COLOR_BGR2RGB, dst=self.rgb)
        return self.rgb

    def from_i420(self, i420: np.ndarray, matrix: np.ndarray) -> np.ndarray:
        """The crop of (H * 3 / 2, W) I420 planes under ``matrix`` (frame -> crop), RGB."""
        height = i420.shape[0] * 2 // 3
        width = i420.shape[1]
        flat = i420.reshape(-1)
        quarter = (height // 2) * (width // 2)
        y = i420[:height]
        u = flat[height * width: height * width + quarter].reshape(height // 2, width // 2)
        v = flat[height * width + quarter: height * width + 2 * quarter].reshape(
            height // 2, width // 2)
        half = self.size // 2
        cmat = chroma_matrix(matrix)
        cv2.warpAffine(y, matrix, (self.size, self.size), dst=self._y,
                       flags=cv2.INTER_LINEAR, borderMode=self._border)
        cv2.warpAffine(u, cmat, (half, half), dst=self._u,
                       flags=cv2.INTER_LINEAR, borderMode=self._border)
        cv2.warpAffine(v, cmat, (half, half), dst=self._v,
                       flags=cv2.INTER_LINEAR, borderMode=self._border)
        cv2.cvtColor(self._i420, cv2.COLOR_YUV2RGB_I420, dst=self.rgb)
        return self.rgb
