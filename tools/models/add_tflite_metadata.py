"""Add TFLite Tasks metadata to the BlazePose landmark model.

MediaPipe Tasks (``PoseLandmarker``) refuses a landmark model without input-image metadata: it
reads the NormalizationOptions to turn 0..255 pixels into the model's input range. The
``pose_landmark_full.tflite`` in the ``mediapipe`` wheel has none, so this script writes it:
an RGB image input normalised with mean 0, std 255 (input range [0, 1]) and five feature
outputs in the model's output order.

It must run under ``mediapipe==0.10.21`` (whose metadata writer works; the one in mediapipe
1.x is broken), in a throwaway environment that ``build_models.py`` creates; it is not part of
the hepvision runtime.

Usage: ``python add_tflite_metadata.py IN.tflite OUT.tflite``
"""

from __future__ import annotations

import sys
from pathlib import Path

from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

LANDMARK_OUTPUTS = (
    ("landmarks", "33 x (x, y, z, visibility, presence) in input pixels, pre-sigmoid scores"),
    ("pose_flag", "Pose presence probability"),
    ("segmentation", "Segmentation mask logits, 256 x 256"),
    ("heatmap", "Landmark heatmaps, 64 x 64 x 39"),
    ("world_landmarks", "33 x (x, y, z) world landmarks in metres, hip-centred"),
)


def main(argv: list[str]) -> None:
    source, target = Path(argv[0]), Path(argv[1])
    writer = (
        metadata_writer.MetadataWriter.create(bytearray(source.read_bytes()))
        .add_general_info(
            "BlazePose GHUM 3D landmark (full)",
            "Pose landmarks from a 256x256 RGB crop, MediaPipe pose_landmark_full.tflite",
        )
        .add_image_input(norm_mean=[0.0], norm_std=[255.0])
    )
    for name, description in LANDMARK_OUTPUTS:
        writer = writer.add_feature_output(name=name, description=description)
    model, _ = writer.populate()
    target.write_bytes(bytes(model))


if __name__ == "__main__":
    main(sys.argv[1:])
