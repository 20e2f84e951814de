"""Choosing a pose backend by name (and, for ``onnx``, its landmark model)."""

from __future__ import annotations

from pathlib import Path

from hepvision.errors import HepvisionError, ModelError
from hepvision.pose.base import PoseEstimator
from hepvision.pose.variants import MODEL_CHOICES, PoseModel, landmark_file, parse_model
from hepvision.vocabulary import BACKENDS, MODEL_BACKENDS

__all__ = ["BACKENDS", "MODEL_BACKENDS", "MODEL_CHOICES", "create_estimator"]


def create_estimator(name: str, *, recording: str | Path | None = None,
                     model: str | None = None, source_fps: float = 30.0) -> PoseEstimator:
    """A pose backend: ``onnx`` (default), ``mediapipe``, or ``replay`` of ``recording``.

    ``model`` (``onnx``): a landmark variant or ``auto``, chosen with its thread count by
    :func:`~hepvision.pose.selection.select_model` from a short measurement at
    ``source_fps``; None runs the default variant on one thread without measuring (offline
    evaluation stays deterministic and quick to start). ``mediapipe`` runs the bundled full
    Tasks model: ``auto`` and ``full`` are accepted, other variants are refused.

    Raises:
        HepvisionError: an unknown backend, a replay without a recording, or a model the
            backend cannot run (:class:`~hepvision.errors.ModelError`).
    """
    if name == "onnx":
        from hepvision.pose.onnx_backend import OnnxPoseEstimator, OnnxPoseOptions

        if model is None:
            return OnnxPoseEstimator()
        from hepvision.pose.selection import select_model

        selection = select_model(model, source_fps=source_fps)
        options = OnnxPoseOptions(landmark_model=selection.landmark_model,
                                  intra_op_threads=selection.intra_op_threads,
                                  opencv_threads=selection.opencv_threads)
        return OnnxPoseEstimator(options, selection)
    if name == "mediapipe":
        from hepvision.pose.mediapipe_backend import MediaPipePoseEstimator

        chosen = PoseModel.AUTO if model is None else parse_model(model)
        if chosen not in (PoseModel.AUTO, PoseModel.FULL):
            landmark_file(chosen)  # lite, heavy: not bundled, says why
            raise ModelError(f"the mediapipe backend runs the bundled full Tasks model; "
                             f"--model {model} is a file of the onnx backend")
        return MediaPipePoseEstimator()
    if name == "replay":
        from hepvision.pose.recording import ReplayPoseEstimator

        if recording is None:
            raise HepvisionError("the replay backend needs a landmark recording (.npz)")
        return ReplayPoseEstimator(recording)
    raise HepvisionError(f"unknown pose backend {name!r}; choose from {', '.join(BACKENDS)}")
