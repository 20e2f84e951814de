"""Image-space geometry of the BlazePose pipeline: SSD anchors, detection decoding, rotated ROIs.

These functions reproduce the MediaPipe calculators used by ``pose_detection_cpu`` and
``pose_landmark_cpu`` (and by the Tasks ``PoseLandmarkerGraph``), so that the ONNX backend places
its crops exactly where MediaPipe does:

- ``SsdAnchorsCalculator``                      -> :func:`ssd_anchors`
- ``TensorsToDetectionsCalculator``             -> :func:`decode_detections`
- ``NonMaxSuppressionCalculator`` (WEIGHTED)    -> :func:`weighted_nms`
- ``AlignmentPointsRectsCalculator`` +
  ``RectTransformationCalculator``              -> :func:`roi_from_alignment_points`
- ``ImageToTensorCalculator`` (OpenCV, keep
  aspect ratio, zero border)                    -> :func:`crop_matrix`, :func:`letterbox_roi`
- ``LandmarkProjectionCalculator`` /
  ``DetectionLetterboxRemovalCalculator``       -> :func:`project_to_image`
- ``RefineLandmarksFromHeatmapCalculator``      -> :func:`refine_from_heatmap`

All coordinates here are pixels of the full frame (x right, y down) unless a name says
otherwise; angles are radians, positive clockwise on screen (MediaPipe's convention).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class RotatedRect:
    """A rotated rectangle in frame pixels (MediaPipe's ``NormalizedRect`` times the frame size).

    Attributes:
        center_x_px, center_y_px: centre of the rectangle, pixels.
        width_px, height_px: side lengths before rotation, pixels.
        rotation_rad: clockwise rotation on screen, radians, in [-pi, pi).
    """

    center_x_px: float
    center_y_px: float
    width_px: float
    height_px: float
    rotation_rad: float


@dataclass(frozen=True, slots=True)
class AnchorOptions:
    """``SsdAnchorsCalculatorOptions`` as used by BlazePose's detector (224x224 input)."""

    input_size_px: int = 224
    num_layers: int = 5
    strides: tuple[int, ...] = (8, 16, 32, 32, 32)
    min_scale: float = 0.1484375
    max_scale: float = 0.75
    anchor_offset: float = 0.5
    aspect_ratios: tuple[float, ...] = (1.0,)
    interpolated_scale_aspect_ratio: float = 1.0


def ssd_anchors(options: AnchorOptions | None = None) -> np.ndarray:
    """Anchor centres for a fixed-anchor-size SSD head.

    Returns:
        (N, 2) float32 anchor centres, x and y normalised to the detector input (0..1). With the
        BlazePose defaults N is 2254 (28x28x2 + 14x14x2 + 7x7x6). Anchor width and height are 1
        (``fixed_anchor_size``), so they are not returned.
    """
    opts = options or AnchorOptions()
    n = opts.num_layers
    centres: list[np.ndarray] = []
    layer = 0
    while layer < n:
        anchors_per_cell = 0
        last = layer
        while last < n and opts.strides[last] == opts.strides[layer]:
            anchors_per_cell += len(opts.aspect_ratios)
            if opts.interpolated_scale_aspect_ratio > 0.0:
                anchors_per_cell += 1
            last += 1
        stride = opts.strides[layer]
        side = math.ceil(opts.input_size_px / stride)
        grid = (np.arange(side, dtype=np.float64) + opts.anchor_offset) / side
        ys, xs = np.meshgrid(grid, grid, indexing="ij")
        cell = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centres.append(np.repeat(cell, anchors_per_cell, axis=0))
        layer = last
    return np.concatenate(centres).astype(np.float32)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, float32 out; written with tanh so large logits cannot overflow."""
    half = np.tanh(0.5 * np.asarray(x, dtype=np.float32))
    return (0.5 + 0.5 * half).astype(np.float32, copy=False)


@dataclass(frozen=True, slots=True)
class Detections:
    """Decoded SSD detections in detector-input coordinates.

    Attributes:
        boxes: (K, 4) float32 xmin, ymin, xmax, ymax normalised to the detector input.
        keypoints: (K, 4, 2) float32 keypoint x, y normalised to the detector input
            (0: hip centre, 1: full-body scale/rotation point, 2: shoulder centre, 3: head point).
        scores: (K,) float32 sigmoid scores, descending after :func:`weighted_nms`.
    """

    boxes: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return int(self.scores.shape[0])


def decode_detections(
    regressors: np.ndarray,
    logits: np.ndarray,
    anchors: np.ndarray,
    *,
    input_size_px: float = 224.0,
    min_score: float = 0.5,
    score_clip: float = 100.0,
) -> Detections:
    """Decode raw SSD outputs (``TensorsToDetectionsCalculator``, reverse_output_order).

    Args:
        regressors: (N, 12) float32: box dx, dy, w, h then 4 keypoints (x, y), in input pixels
            relative to the anchor centre.
        logits: (N,) or (N, 1) raw class logits.
        anchors: (N, 2) anchor centres from :func:`ssd_anchors`.
        input_size_px: the detector input side (x, y, w and h scale).
        min_score: detections scoring below this are dropped.
        score_clip: logits are clipped to +-score_clip before the sigmoid.
    """
    scores = sigmoid(np.clip(logits.reshape(-1), -score_clip, score_clip))
    keep = np.flatnonzero(scores >= min_score)
    if keep.size == 0:
        return Detections(
            np.zeros((0, 4), np.float32), np.zeros((0, 4, 2), np.float32), scores[keep]
        )
    raw = regressors[keep] / np.float32(input_size_px)
    anchor = anchors[keep]
    centre = raw[:, 0:2] + anchor
    half = raw[:, 2:4] * 0.5
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    keypoints = raw[:, 4:12].reshape(-1, 4, 2) + anchor[:, None, :]
    return Detections(boxes.astype(np.float32), keypoints.astype(np.float32), scores[keep])


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one (4,) box against (K, 4) boxes (xmin, ymin, xmax, ymax)."""
    ix0 = np.maximum(box[0], boxes[:, 0])
    iy0 = np.maximum(box[1], boxes[:, 1])
    ix1 = np.minimum(box[2], boxes[:, 2])
    iy1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(ix1 - ix0, 0.0, None) * np.clip(iy1 - iy0, 0.0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0.0, inter / np.where(union > 0.0, union, 1.0), 0.0)


def weighted_nms(
    detections: Detections, *, iou_threshold: float = 0.3, max_detections: int = -1
) -> Detections:
    """MediaPipe's WEIGHTED non-maximum suppression (blending, not discarding, overlaps).

    The highest-scoring remaining detection collects every remaining detection whose IoU with it
    exceeds ``iou_threshold`` (itself included); the output box and keypoints are their
    score-weighted mean and the score is the leader's. Output is ordered by score.
    """
    if len(detections) == 0:
        return detections
    order = np.argsort(-detections.scores, kind="stable")
    boxes = detections.boxes[order]
    kps = detections.keypoints[order]
    scores = detections.scores[order]
    remaining = np.arange(len(scores))
    out_boxes: list[np.ndarray] = []
    out_kps: list[np.ndarray] = []
    out_scores: list[float] = []
    while remaining.size:
        lead = remaining[0]
        overlap = _iou(boxes[lead], boxes[remaining]) > iou_threshold
        members = remaining[overlap]
        w = scores[members]
        total = float(w.sum())
        out_boxes.append((boxes[members] * w[:, None]).sum(axis=0) / total)
        out_kps.append((kps[members] * w[:, None, None]).sum(axis=0) / total)
        out_scores.append(float(scores[lead]))
        remaining = remaining[~overlap]
        if 0 < max_detections <= len(out_scores):
            break
    return Detections(
        np.asarray(out_boxes, np.float32),
        np.asarray(out_kps, np.float32),
        np.asarray(out_scores, np.float32),
    )


def normalize_radians(angle: float) -> float:
    """Wrap an angle to [-pi, pi)."""
    return angle - 2.0 * math.pi * math.floor((angle + math.pi) / (2.0 * math.pi))


def roi_from_alignment_points(
    center_px: tuple[float, float] | np.ndarray,
    scale_px: tuple[float, float] | np.ndarray,
    *,
    scale: float = 1.25,
    target_angle_rad: float = math.pi / 2.0,
) -> RotatedRect:
    """The landmark-model ROI from two alignment points (BlazePose's hip centre and scale point).

    ``AlignmentPointsRectsCalculator`` puts a square of side ``2 * |scale - center|`` on
    ``center``, rotated so that the centre->scale direction points at ``target_angle_rad``
    (90 deg: straight up); ``RectTransformationCalculator`` then makes it square on its long side
    and scales it by ``scale``.
    """
    x0, y0 = float(center_px[0]), float(center_px[1])
    x1, y1 = float(scale_px[0]), float(scale_px[1])
    side = 2.0 * math.hypot(x1 - x0, y1 - y0) * scale
    rotation = normalize_radians(target_angle_rad - math.atan2(-(y1 - y0), x1 - x0))
    return RotatedRect(x0, y0, side, side, rotation)


def letterbox_roi(width_px: int, height_px: int, out_width: int, out_height: int) -> RotatedRect:
    """The whole frame padded (centred) to the aspect ratio of a model input (keep-aspect crop)."""
    tensor_aspect = out_height / out_width
    w, h = float(width_px), float(height_px)
    if tensor_aspect > h / w:
        h = w * tensor_aspect
    else:
        w = h / tensor_aspect
    return RotatedRect(width_px / 2.0, height_px / 2.0, w, h, 0.0)


def crop_matrix(rect: RotatedRect, out_width: int, out_height: int) -> np.ndarray:
    """(2, 3) float64 affine map from frame pixels to crop pixels for ``cv2.warpAffine``.

    Matches MediaPipe's OpenCV ``ImageToTensorCalculator``: the rectangle's corners go to the
    crop's corners (0, 0), (W, 0), (W, H), (0, H) (``cv::boxPoints`` then
    ``getPerspectiveTransform``).
    """
    c, s = math.cos(rect.rotation_rad), math.sin(rect.rotation_rad)
    sx = out_width / rect.width_px
    sy = out_height / rect.height_px
    cx, cy = rect.center_x_px, rect.center_y_px
    # local = R(-theta) (p - c);  u = sx * local_x + W/2;  v = sy * local_y + H/2
    return np.array(
        [
            [sx * c, sx * s, out_width / 2.0 - sx * (c * cx + s * cy)],
            [-sy * s, sy * c, out_height / 2.0 - sy * (-s * cx + c * cy)],
        ],
        dtype=np.float64,
    )


def project_to_image(points_norm: np.ndarray, rect: RotatedRect) -> np.ndarray:
    """Map points normalised to a crop (0..1 across the crop) back to frame pixels.

    Args:
        points_norm: (N, 2) x, y in crop-normalised coordinates.
        rect: the rectangle the crop was taken from.

    Returns:
        (N, 2) float32 frame pixels (``LandmarkProjectionCalculator``).
    """
    c, s = math.cos(rect.rotation_rad), math.sin(rect.rotation_rad)
    x = (points_norm[:, 0] - 0.5) * rect.width_px
    y = (points_norm[:, 1] - 0.5) * rect.height_px
    out = np.empty((points_norm.shape[0], 2), dtype=np.float32)
    out[:, 0] = c * x - s * y + rect.center_x_px
    out[:, 1] = s * x + c * y + rect.center_y_px
    return out


def refine_from_heatmap(
    xy_norm: np.ndarray, heatmap: np.ndarray, *, kernel_size: int = 7, min_confidence: float = 0.5
) -> np.ndarray:
    """MediaPipe's ``RefineLandmarksFromHeatMap`` on crop-normalised landmarks.

    Args:
        xy_norm: (L, 2) float32 landmark x, y normalised to the crop.
        heatmap: (H, W, L) raw heatmap logits (HWC).
        kernel_size: odd window side, heatmap cells.
        min_confidence: a landmark moves only if its window's peak sigmoid reaches this.

    Returns:
        (L, 2) float32: each landmark replaced by the sigmoid-weighted mean cell position
        (``col / W``, ``row / H``) of the window around it, where confident.

    MediaPipe's bounds check compares the column (not the row) against the heatmap height; that
    quirk is kept so that rows just below the heatmap are refined the same way.
    """
    hm_h, hm_w, n = heatmap.shape
    cols = np.trunc(xy_norm[:, 0] * hm_w).astype(np.int64)
    rows = np.trunc(xy_norm[:, 1] * hm_h).astype(np.int64)
    inside = (cols >= 0) & (cols < hm_w) & (rows >= 0) & (cols < hm_h)
    half = (kernel_size - 1) // 2
    offsets = np.arange(-half, half + 1)
    rr = rows[:, None] + offsets  # (L, k)
    cc = cols[:, None] + offsets
    mask = ((rr >= 0) & (rr < hm_h))[:, :, None] & ((cc >= 0) & (cc < hm_w))[:, None, :]
    rr_c = np.clip(rr, 0, hm_h - 1)
    cc_c = np.clip(cc, 0, hm_w - 1)
    vals = heatmap[rr_c[:, :, None], cc_c[:, None, :], np.arange(n)[:, None, None]]
    conf = np.where(mask, sigmoid(vals), np.float32(0.0))
    total = conf.sum(axis=(1, 2))
    peak = conf.max(axis=(1, 2))
    refine = inside & (peak >= min_confidence) & (total > 0.0)
    out = xy_norm.astype(np.float32, copy=True)
    if refine.any():
        safe = np.where(total > 0.0, total, 1.0)
        col_mean = (conf * cc[:, None, :]).sum(axis=(1, 2)) / safe
        row_mean = (conf * rr[:, :, None]).sum(axis=(1, 2)) / safe
        out[refine, 0] = col_mean[refine] / hm_w
        out[refine, 1] = row_mean[refine] / hm_h
    return out
