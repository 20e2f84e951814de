"""BlazePose through MediaPipe Tasks' ``PoseLandmarker`` (VIDEO running mode).

The reference backend: the ONNX backend is checked against it. It loads
``models/pose_landmarker_full.task`` by explicit, SHA-256-verified path (nothing is downloaded)
and imports ``mediapipe`` only when an estimator is created, so the rest of hepvision works
without it installed. In VIDEO mode Tasks' ``PoseLandmarker`` tracks the person from the previous
frame (its detector reruns only when tracking is lost) and smooths the landmarks (One-Euro) and
their visibility (low-pass); that smoothing cannot be switched off from Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from hepvision.capture.frames import Frame
from hepvision.errors import ModelError
from hepvision.pose.base import check_frame
from hepvision.pose.models import verified_model_path
from hepvision.pose.types import NUM_LANDMARKS, BackendInfo, ModelSelection, PoseResult

TASK_MODEL = "pose_landmarker_full.task"


@dataclass(frozen=True, slots=True)
class MediaPipePoseOptions:
    """Settings of :class:`MediaPipePoseEstimator` (defaults are MediaPipe's).

    Attributes:
        model_dir: directory holding the ``.task`` bundle and ``MANIFEST.json``; ``None`` for
            the bundled ``models/``.
        task_model: bundle file name, looked up in the manifest.
        min_detection_confidence: minimum pose detector score.
        min_presence_confidence: minimum landmark-model pose presence score.
        min_tracking_confidence: MediaPipe's tracking threshold (ROI association).
    """

    model_dir: Path | None = None
    task_model: str = TASK_MODEL
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5

    def __post_init__(self) -> None:
        for name in (
            "min_detection_confidence",
            "min_presence_confidence",
            "min_tracking_confidence",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")


def _import_mediapipe() -> Any:
    try:
        import mediapipe as mp
        from mediapipe.tasks.python import vision  # noqa: F401  (checks the Tasks API exists)
    except ImportError as exc:
        raise ModelError(
            "the 'mediapipe' backend needs the mediapipe package (pip install mediapipe); "
            "use the 'onnx' backend otherwise"
        ) from exc
    return mp


def _or_nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


class MediaPipePoseEstimator:
    """MediaPipe Tasks ``PoseLandmarker`` (one person, VIDEO mode) behind ``PoseEstimator``.

    Frames must come in order with strictly increasing ``timestamp_ms``. Use as a context
    manager, or call :meth:`close`.
    """

    def __init__(self, options: MediaPipePoseOptions | None = None) -> None:
        self._options = options or MediaPipePoseOptions()
        opts = self._options
        path, sha = verified_model_path(opts.task_model, opts.model_dir)
        # Tasks runs the full network with threads of its own choosing (not settable here).
        self._info = BackendInfo("mediapipe", {path.name: sha},
                                 ModelSelection("default", "full", path.name, 0, -1))
        mp = _import_mediapipe()
        self._mp = mp
        vision = mp.tasks.vision
        task_options = vision.PoseLandmarkerOptions(
            base_options=mp.tasks.BaseOptions(model_asset_path=str(path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=1,
            min_pose_detection_confidence=opts.min_detection_confidence,
            min_pose_presence_confidence=opts.min_presence_confidence,
            min_tracking_confidence=opts.min_tracking_confidence,
            output_segmentation_masks=False,
        )
        try:
            self._landmarker: Any = vision.PoseLandmarker.create_from_options(task_options)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"mediapipe cannot load {path}: {exc}") from exc
        self._last_timestamp_ms: int | None = None

    @property
    def info(self) -> BackendInfo:
        return self._info

    @property
    def options(self) -> MediaPipePoseOptions:
        return self._options

    def estimate(self, frame: Frame) -> PoseResult:
        """The pose in ``frame``; ``PoseResult.empty`` when nobody is in view.

        Raises:
            ValueError: the timestamp does not increase, or the image is not (H, W, 3) uint8.
            RuntimeError: the estimator was closed.
        """
        if self._landmarker is None:
            raise RuntimeError("MediaPipePoseEstimator is closed")
        image = frame.image
        ts = self._last_timestamp_ms = check_frame(frame, self._last_timestamp_ms)
        height, width = image.shape[:2]
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        mp_image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)
        result = self._landmarker.detect_for_video(mp_image, ts)
        if not result.pose_landmarks:
            return PoseResult.empty(ts, width, height)
        pose = result.pose_landmarks[0][:NUM_LANDMARKS]
        landmarks = np.array(
            [(lm.x, lm.y, lm.z, _or_nan(lm.visibility)) for lm in pose], dtype=np.float32
        )
        if result.pose_world_landmarks:
            world = np.array(
                [(lm.x, lm.y, lm.z) for lm in result.pose_world_landmarks[0][:NUM_LANDMARKS]],
                dtype=np.float32,
            )
        else:
            world = np.full((NUM_LANDMARKS, 3), np.nan, dtype=np.float32)
        # Tasks does not expose the pose-level presence score (it only gates on it); the
        # largest per-landmark presence stands in for it.
        presences = np.array([_or_nan(lm.presence) for lm in pose], dtype=np.float32)
        presence = float(np.nanmax(presences)) if np.isfinite(presences).any() else 1.0
        return PoseResult(ts, landmarks, world, width, height, max(presence, 1e-6))

    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def __enter__(self) -> MediaPipePoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
