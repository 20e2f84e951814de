"""BlazePose (full) on ONNX Runtime: MediaPipe's pose graph re-implemented around two ONNX models.

The landmark model is a variant of :mod:`hepvision.pose.variants` (by default
``pose_landmark_full_f16.onnx``: the full network without its segmentation head, landmarks
bit-identical to ``pose_landmark_full.onnx``'s); :mod:`hepvision.pose.selection` picks one and
its thread count by measurement. Each stage's CPU time is kept (:attr:`last_cost`).

The graph follows MediaPipe's ``pose_detection_cpu`` + ``pose_landmark_cpu`` (and the Tasks
``PoseLandmarkerGraph`` of mediapipe 0.10.x, which uses the same constants):

1. **Detector** (only when there is no ROI to track): the frame is letterboxed to 224x224
   (aspect kept, zero padding), scaled to [-1, 1] and run through ``pose_detection.onnx``. The
   2254 SSD outputs are decoded against fixed-size anchors, scored with a sigmoid (min 0.5) and
   merged with weighted NMS (IoU 0.3); the best detection wins.
2. **ROI**: a square centred on the detection's hip-centre keypoint, side ``2 * |kp1 - kp0|``,
   rotated so that hip centre -> scale point points up, enlarged 1.25x.
3. **Landmarks**: the ROI is cropped to 256x256 straight from the decoded frame with one
   affine warp per plane (bilinear, edge pixels replicated outside the frame, as MediaPipe's
   ImageToTensor default; :mod:`hepvision.pose.crop`): from a video file's I420 planes, or
   from BGR pixels (cameras, images); the frame itself is never converted or copied. The
   256x256 crop is turned to RGB, scaled to [0, 1] and run through the landmark model. The 39 landmarks (33 + 6
   auxiliary) are refined from the heatmap (7x7 window, min confidence 0.5), projected back to
   the frame; visibility is the sigmoid of its logit; world landmarks are rotated by the ROI
   rotation. A pose is present when ``pose_flag`` >= the presence threshold.
4. **Tracking** (video mode): the next frame's ROI comes from auxiliary landmarks 33 (hip centre)
   and 34 (scale point) the same way, so the detector runs again only after tracking is lost.

5. **Smoothing** (on by default, ``smooth_landmarks``): the filters MediaPipe Tasks'
   ``PoseLandmarker`` applies in VIDEO mode (mediapipe >= 0.10.1x): visibility low-pass
   (alpha 0.1), One-Euro on image landmarks (min cutoff 0.05, beta 80, velocity scaled by the
   ROI size) and on world landmarks (0.1, 40). Without it the backend is ~2x further from the
   ``mediapipe`` backend and misses the tfjs golden-landmark test (92 % instead of 95 % of
   visible landmarks within 15 px). Turn it off when a downstream filter does the smoothing.
   The filters live in :mod:`hepvision.pose.onnx_smoothing`.

Limits: one person per frame (the highest-scoring detection); no segmentation mask output.
Agreement with the ``mediapipe`` backend (1.2.2) is close but not bit-exact: detector frames
agree to ~0.1 px, tracked frames drift by ~1-2 px on a 1280-px frame (mean ~0.1 % of the frame
height), for reasons not pinned down; MediaPipe's image-landmark z also differs from this
``raw_z / 256 * roi_width`` by up to ~2x on some landmarks (x, y and world x, y agree).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from hepvision.capture.frames import Frame
from hepvision.errors import ModelError
from hepvision.pose.base import check_frame
from hepvision.pose.cost import PoseCost, thread_cpu_ms
from hepvision.pose.crop import SquareCropper
from hepvision.pose.geometry import (
    AnchorOptions,
    RotatedRect,
    crop_matrix,
    decode_detections,
    letterbox_roi,
    project_to_image,
    refine_from_heatmap,
    roi_from_alignment_points,
    sigmoid,
    ssd_anchors,
    weighted_nms,
)
from hepvision.pose.models import verified_model_path
from hepvision.pose.onnx_session import BoundRun, create_session
from hepvision.pose.onnx_smoothing import PoseSmoother
from hepvision.pose.types import NUM_LANDMARKS, BackendInfo, ModelSelection, PoseResult
from hepvision.pose.variants import DEFAULT_VARIANT, PoseModel, landmark_file, variant_of_file

DETECTOR_MODEL = "pose_detection.onnx"
#: The default landmark model (the ``full-f16`` variant).
LANDMARK_MODEL = landmark_file(DEFAULT_VARIANT)
#: The full landmark model as converted (the ``full`` variant, the parity reference).
FULL_LANDMARK_MODEL = landmark_file(PoseModel.FULL)

_DETECTOR_SIZE_PX = 224
_LANDMARK_SIZE_PX = 256
_NUM_RAW_LANDMARKS = 39
_AUX_HIP_CENTER = 33
_AUX_SCALE_POINT = 34


@dataclass(frozen=True, slots=True)
class OnnxPoseOptions:
    """Settings of :class:`OnnxPoseEstimator` (defaults are MediaPipe's).

    Attributes:
        model_dir: directory holding the ONNX files and ``MANIFEST.json``; ``None`` for the
            bundled ``models/``.
        detector_model, landmark_model: model file names, looked up in the manifest.
        min_detection_confidence: minimum detector score (0..1).
        min_presence_confidence: minimum ``pose_flag`` for a pose to be reported; below it the
            frame is empty and tracking is lost (the next frame runs the detector).
        nms_iou_threshold: IoU above which detections are merged.
        roi_scale: enlargement of the alignment-point square (1.25 for the 0.10.x models).
        refine_with_heatmap: apply MediaPipe's ``RefineLandmarksFromHeatmap`` (kernel 7).
        heatmap_min_confidence: minimum heatmap peak (after sigmoid) to move a landmark.
        smooth_landmarks: apply MediaPipe's VIDEO-mode landmark smoothing (see the module
            docstring); reset whenever a frame has no pose.
        intra_op_threads: ONNX Runtime intra-op threads of both sessions (1: inference runs
            on the calling thread, the least CPU per frame; more cost CPU to save wall time).
        opencv_threads: OpenCV's thread count, set when the estimator is created (OpenCV has
            one pool per process; the crops here are too small to gain from threads: measured
            0.54 ms CPU per crop with 1, 0.98 ms with 2). None leaves it as it is.
    """

    model_dir: Path | None = None
    detector_model: str = DETECTOR_MODEL
    landmark_model: str = LANDMARK_MODEL
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    nms_iou_threshold: float = 0.3
    roi_scale: float = 1.25
    refine_with_heatmap: bool = True
    heatmap_min_confidence: float = 0.5
    smooth_landmarks: bool = True
    intra_op_threads: int = 1
    opencv_threads: int | None = 1

    def __post_init__(self) -> None:
        for name in ("min_detection_confidence", "min_presence_confidence", "nms_iou_threshold"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        if self.roi_scale <= 0.0:
            raise ValueError(f"roi_scale must be positive, got {self.roi_scale}")
        if self.intra_op_threads < 0:
            raise ValueError(f"intra_op_threads must be >= 0, got {self.intra_op_threads}")


class OnnxPoseEstimator:
    """BlazePose full on ONNX Runtime, tracking one person across frames (video mode).

    Frames must come in order with strictly increasing ``timestamp_ms``. Use as a context
    manager, or call :meth:`close`.
    """

    def __init__(self, options: OnnxPoseOptions | None = None,
                 selection: ModelSelection | None = None) -> None:
        self._options = options or OnnxPoseOptions()
        opts = self._options
        det_path, det_sha = verified_model_path(opts.detector_model, opts.model_dir)
        lm_path, lm_sha = verified_model_path(opts.landmark_model, opts.model_dir)
        if opts.opencv_threads is not None:
            cv2.setNumThreads(opts.opencv_threads)
        self._info = BackendInfo("onnx", {det_path.name: det_sha, lm_path.name: lm_sha},
                                 selection or _fixed_selection(opts))
        self._detector = create_session(det_path, opts.intra_op_threads)
        self._landmarker = create_session(lm_path, opts.intra_op_threads)
        self._check_io()
        self._anchors = ssd_anchors(AnchorOptions(input_size_px=_DETECTOR_SIZE_PX))
        self._det_input = np.empty((1, _DETECTOR_SIZE_PX, _DETECTOR_SIZE_PX, 3), np.float32)
        self._lm_input = np.empty((1, _LANDMARK_SIZE_PX, _LANDMARK_SIZE_PX, 3), np.float32)
        self._lm_outputs = ["landmarks", "pose_flag", "world_landmarks"]
        if opts.refine_with_heatmap:
            self._lm_outputs.append("heatmap")
        # Every frame runs in the same buffers: the crop, the model input and its outputs.
        self._cropper = SquareCropper(_LANDMARK_SIZE_PX)
        self._lm_run = BoundRun(self._landmarker, "input", self._lm_input, self._lm_outputs)
        self._roi: RotatedRect | None = None
        self._last_timestamp_ms: int | None = None
        self._detector_ran = False
        self._smoother = PoseSmoother()
        self._closed = False
        self._cost = PoseCost()

    def _check_io(self) -> None:
        det_in = {i.name for i in self._detector.get_inputs()}
        det_out = {o.name for o in self._detector.get_outputs()}
        lm_in = {i.name for i in self._landmarker.get_inputs()}
        lm_out = {o.name for o in self._landmarker.get_outputs()}
        want_det_out = {"regressors", "classificators"}
        want_lm_out = {"landmarks", "pose_flag", "heatmap", "world_landmarks"}
        if "input" not in det_in or not want_det_out <= det_out:
            raise ModelError(
                f"detector model has inputs {sorted(det_in)} / outputs {sorted(det_out)}; "
                f"expected 'input' / {sorted(want_det_out)}"
            )
        if "input" not in lm_in or not want_lm_out <= lm_out:
            raise ModelError(
                f"landmark model has inputs {sorted(lm_in)} / outputs {sorted(lm_out)}; "
                f"expected 'input' / {sorted(want_lm_out)}"
            )

    # -- PoseEstimator protocol -------------------------------------------------------------

    @property
    def info(self) -> BackendInfo:
        return self._info

    @property
    def options(self) -> OnnxPoseOptions:
        return self._options

    @property
    def last_cost(self) -> PoseCost:
        """CPU milliseconds (calling thread) of each stage of the last :meth:`estimate`."""
        return self._cost

    @property
    def detector_ran(self) -> bool:
        """Whether the last :meth:`estimate` call ran the person detector (not tracking)."""
        return self._detector_ran

    def estimate(self, frame: Frame) -> PoseResult:
        """The pose in ``frame``; ``PoseResult.empty`` when nobody is in view.

        Raises:
            ValueError: the timestamp does not increase, or the image is not (H, W, 3) uint8.
            RuntimeError: the estimator was closed.
        """
        if self._closed:
            raise RuntimeError("OnnxPoseEstimator is closed")
        ts = self._last_timestamp_ms = check_frame(frame, self._last_timestamp_ms)
        height, width = frame.height_px, frame.width_px

        self._detector_ran = False
        self._cost = PoseCost()
        if self._roi is None:
            self._detector_ran = True
            t0 = thread_cpu_ms()
            self._roi = self._detect(frame.image)
            self._cost = PoseCost(detector_ms=thread_cpu_ms() - t0)
            if self._roi is None:
                self._smoother.reset()
                return PoseResult.empty(ts, width, height)

        result = self._landmarks(frame, self._roi, ts)
        if result is None:
            self._roi = None
            self._smoother.reset()
            return PoseResult.empty(ts, width, height)
        return result

    def reset(self) -> None:
        """Forget the tracked ROI and the last timestamp (start of a new video)."""
        self._roi = None
        self._last_timestamp_ms = None
        self._smoother.reset()

    def close(self) -> None:
        self._closed = True
        self._detector = None
        self._landmarker = None

    def __enter__(self) -> OnnxPoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- stages -----------------------------------------------------------------------------

    def _detect(self, image: np.ndarray) -> RotatedRect | None:
        """Run the detector on the whole frame; the landmark ROI of the best person or None."""
        height, width = image.shape[:2]
        size = _DETECTOR_SIZE_PX
        box = letterbox_roi(width, height, size, size)
        crop = cv2.warpAffine(
            image,
            crop_matrix(box, size, size),
            (size, size),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(0, 0, 0),
        )
        cv2.cvtColor(crop, cv2.COLOR_BGR2RGB, dst=crop)
        np.multiply(crop, np.float32(2.0 / 255.0), out=self._det_input[0], casting="unsafe")
        self._det_input -= np.float32(1.0)
        regressors, logits = self._detector.run(
            ["regressors", "classificators"], {"input": self._det_input}
        )
        dets = decode_detections(
            regressors[0],
            logits[0],
            self._anchors,
            input_size_px=float(size),
            min_score=self._options.min_detection_confidence,
        )
        dets = weighted_nms(dets, iou_threshold=self._options.nms_iou_threshold)
        if len(dets) == 0:
            return None
        kps_px = project_to_image(dets.keypoints[0], box)
        return roi_from_alignment_points(kps_px[0], kps_px[1], scale=self._options.roi_scale)

    def _landmarks(self, frame: Frame, roi: RotatedRect, ts: int) -> PoseResult | None:
        """Run the landmark model on ``roi``; the result (and the next ROI) or None if absent.

        Times its three stages (crop, landmark model, post-processing) into ``last_cost``.
        """
        if not (roi.width_px > 1.0 and math.isfinite(roi.width_px)):
            return None
        t0 = thread_cpu_ms()
        self._crop_roi(frame, roi)
        t1 = thread_cpu_ms()
        outputs = self._lm_run.run()
        t2 = thread_cpu_ms()
        result = self._read_landmarks(outputs, roi, ts, frame.width_px, frame.height_px)
        self._cost = PoseCost(crop_ms=t1 - t0, detector_ms=self._cost.detector_ms,
                              landmarks_ms=t2 - t1, post_ms=thread_cpu_ms() - t2)
        return result

    def _crop_roi(self, frame: Frame, roi: RotatedRect) -> None:
        """Crop ``roi`` from the frame (its I420 planes when it has them, else its BGR
        pixels) into the model input (RGB, [0, 1])."""
        # Tasks' landmark preprocessing keeps ImageToTensor's default border (replicate); only
        # the detector's letterbox is zero-padded. Zero here moves landmarks by up to ~2 % of
        # the frame height whenever the ROI leaves the frame.
        matrix = crop_matrix(roi, _LANDMARK_SIZE_PX, _LANDMARK_SIZE_PX)
        if frame.i420 is not None:
            crop = self._cropper.from_i420(frame.i420, matrix)
        else:
            crop = self._cropper.from_bgr(frame.image, matrix)
        np.multiply(crop, np.float32(1.0 / 255.0), out=self._lm_input[0], casting="unsafe")

    def _read_landmarks(self, outputs: list[np.ndarray], roi: RotatedRect, ts: int,
                        width: int, height: int) -> PoseResult | None:
        """The pose in the model's outputs for ``roi`` (None below the presence threshold);
        sets the next frame's ROI. ``outputs`` are reused by the next frame: nothing returned
        may be a view of them."""
        size = _LANDMARK_SIZE_PX
        presence = float(outputs[1].reshape(-1)[0])
        if not presence >= self._options.min_presence_confidence:
            return None

        raw = outputs[0].reshape(_NUM_RAW_LANDMARKS, 5)
        xy_crop = raw[:, 0:2] * np.float32(1.0 / size)
        if self._options.refine_with_heatmap:
            xy_crop = refine_from_heatmap(
                xy_crop, outputs[3][0], min_confidence=self._options.heatmap_min_confidence
            )
        xy_px = project_to_image(xy_crop, roi)

        # Next frame's ROI from the auxiliary alignment points.
        self._roi = roi_from_alignment_points(
            xy_px[_AUX_HIP_CENTER], xy_px[_AUX_SCALE_POINT], scale=self._options.roi_scale
        )

        landmarks = np.empty((NUM_LANDMARKS, 4), np.float32)
        landmarks[:, 0] = xy_px[:NUM_LANDMARKS, 0] / width
        landmarks[:, 1] = xy_px[:NUM_LANDMARKS, 1] / height
        landmarks[:, 2] = raw[:NUM_LANDMARKS, 2] * np.float32(roi.width_px / size / width)
        landmarks[:, 3] = sigmoid(raw[:NUM_LANDMARKS, 3])
        world_raw = outputs[2].reshape(_NUM_RAW_LANDMARKS, 3)[:NUM_LANDMARKS]
        c, s = math.cos(roi.rotation_rad), math.sin(roi.rotation_rad)
        world = np.empty((NUM_LANDMARKS, 3), np.float32)
        world[:, 0] = c * world_raw[:, 0] - s * world_raw[:, 1]
        world[:, 1] = s * world_raw[:, 0] + c * world_raw[:, 1]
        world[:, 2] = world_raw[:, 2]
        if self._options.smooth_landmarks:
            self._smoother.apply(landmarks, world, ts, width, height, self._roi.width_px)
        return PoseResult(ts, landmarks, world, width, height, presence)


def _fixed_selection(options: OnnxPoseOptions) -> ModelSelection:
    """The selection record of an estimator built from options alone (nothing measured)."""
    return ModelSelection(
        requested="default", model=variant_of_file(options.landmark_model),
        landmark_model=options.landmark_model, intra_op_threads=options.intra_op_threads,
        opencv_threads=-1 if options.opencv_threads is None else options.opencv_threads)
