"""BlazePose landmark model variants, by the name ``--model`` takes.

MediaPipe publishes three landmark networks, lite, full and heavy. The official
``mediapipe==0.10.21`` wheel, where every bundled model comes from, ships only
``pose_landmark_full.tflite`` (checked in the manylinux x86_64 and macOS arm64 wheels; its
legacy solution API downloads lite and heavy at run time, which hepvision never does), so
``lite`` and ``heavy`` are names without a file: choosing one is an error that says so.

The full network comes in two files with bit-identical outputs (``tools/models/build_models.py``
checks it): ``pose_landmark_full.onnx`` as converted (five outputs, float32 weights) and
``pose_landmark_full_f16.onnx`` without the segmentation head hepvision never reads, its float16
weights stored as float16 (~40 % less CPU per frame, half the size). ``auto`` picks the most
accurate variant that keeps up (:mod:`hepvision.pose.selection`); among variants with the same
landmarks the cheaper one, so it never picks ``full`` over ``full-f16``.
"""

from __future__ import annotations

from dataclasses import dataclass

from hepvision.errors import ModelError
from hepvision.vocabulary import MODEL_CHOICES, PoseModel


@dataclass(frozen=True, slots=True)
class LandmarkVariant:
    """One landmark model variant.

    Attributes:
        model: its name.
        file: the ONNX file in ``models/`` (listed in ``MANIFEST.json``); None when not bundled.
        network_rank: how accurate its network is (heavy 3 > full 2 > lite 1); variants of
            one network share its rank and its landmarks.
        note: what it is, or why it is not bundled.
    """

    model: PoseModel
    file: str | None
    network_rank: int
    note: str


_NOT_IN_WHEEL = ("not bundled: the mediapipe 0.10.21 wheel the models come from ships only "
                 "the full landmark network")

VARIANTS: dict[PoseModel, LandmarkVariant] = {
    PoseModel.FULL_F16: LandmarkVariant(
        PoseModel.FULL_F16, "pose_landmark_full_f16.onnx", 2,
        "full network without its segmentation head, float16-stored weights; landmarks "
        "bit-identical to full's"),
    PoseModel.FULL: LandmarkVariant(
        PoseModel.FULL, "pose_landmark_full.onnx", 2,
        "full network as converted from the wheel (all five outputs, float32 weights)"),
    PoseModel.LITE: LandmarkVariant(PoseModel.LITE, None, 1, _NOT_IN_WHEEL),
    PoseModel.HEAVY: LandmarkVariant(PoseModel.HEAVY, None, 3, _NOT_IN_WHEEL),
}

#: What a run without a choice runs (no measurement: offline evaluation stays deterministic).
DEFAULT_VARIANT = PoseModel.FULL_F16
#: What ``auto`` may pick, most accurate first; ``full`` is left out (same landmarks as
#: ``full-f16`` for more work).
AUTO_CANDIDATES: tuple[PoseModel, ...] = (PoseModel.HEAVY, PoseModel.FULL_F16, PoseModel.LITE)


def parse_model(name: str) -> PoseModel:
    """The :class:`PoseModel` called ``name``.

    Raises:
        ModelError: no model has that name.
    """
    try:
        return PoseModel(name)
    except ValueError:
        raise ModelError(f"unknown pose model {name!r}; choose from "
                         f"{', '.join(MODEL_CHOICES)}") from None


def landmark_file(model: PoseModel) -> str:
    """The ONNX file of a variant.

    Raises:
        ModelError: ``auto`` (not a variant) or a variant that is not bundled.
    """
    if model is PoseModel.AUTO:
        raise ModelError("'auto' is chosen by measurement, not a file; see select_model")
    variant = VARIANTS[model]
    if variant.file is None:
        raise ModelError(f"the {model.value} landmark model is {variant.note}; choose "
                         f"{PoseModel.FULL_F16.value}, {PoseModel.FULL.value} or auto")
    return variant.file


def bundled(model: PoseModel) -> bool:
    """Whether a variant has a file (``lite`` and ``heavy`` have none)."""
    return model is not PoseModel.AUTO and VARIANTS[model].file is not None


def variant_of_file(file: str) -> str:
    """The variant name of a landmark model file (the file name itself when it is none)."""
    for variant in VARIANTS.values():
        if variant.file == file:
            return variant.model.value
    return file
