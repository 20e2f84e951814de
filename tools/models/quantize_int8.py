"""Experimental int8 landmark model: ONNX Runtime static quantization of ``full-f16``'s graph.

Calibrated on the model's own inputs as the pipeline makes them: every ``--stride``-th
256x256 ROI crop of the first ``--frames`` frames of each clip in ``--videos`` (by default
``../shared/data/videos``, read at build time and never stored: the crops live in memory only,
the clips belong to their owners). QDQ format, weights int8 per channel, activations uint8
(MinMax ranges), ``reduce_range`` (7-bit weights: AVX2 without VNNI saturates 8-bit u8s8
products). ``benchmarks/pose_variants.py --extra full-int8=OUT`` measures it.

Not bundled: on the calibration crops themselves the int8 model's landmarks are ~8 px of the
256-px crop from the float model's (world landmarks ~0.1 m), and through tracking on the shared
clips 8.8 % of the frame height (bar: 1 %), for ~15 % less CPU. Tried and no better: weights
without ``reduce_range`` (26 px), Percentile ranges (9.6 px), the last eight or the first conv
left in float (8.2 px), symmetric int8 activations (9.3 px, and twice the CPU).

    python tools/models/quantize_int8.py --out /tmp/pose_landmark_full_int8.onnx

Reproducible on one machine and library set (the crops come from float arithmetic, whose last
bits may differ on another CPU, and with them the calibrated ranges).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import lean_onnx  # the sibling module (run as `python tools/models/quantize_int8.py`)
import numpy as np
import onnx
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

from hepvision.capture.sources import VideoFileSource
from hepvision.pose.models import models_dir
from hepvision.pose.onnx_backend import FULL_LANDMARK_MODEL, OnnxPoseEstimator

log = logging.getLogger("quantize_int8")
HERE = Path(__file__).resolve().parent
VIDEOS = HERE.parents[2] / "shared" / "data" / "videos"
OUTPUTS = ["landmarks", "pose_flag", "heatmap", "world_landmarks"]


def calibration_crops(videos: Path, frames: int, stride: int) -> list[np.ndarray]:
    """The landmark model's inputs on every ``stride``-th frame where it ran."""
    crops: list[np.ndarray] = []
    for clip in sorted(videos.glob("*.mp4")):
        with VideoFileSource(clip, max_frames=frames) as src, OnnxPoseEstimator() as est:
            for frame in src:
                result = est.estimate(frame)
                if frame.index % stride == 0 and result.detected:
                    # the input buffer the landmark model just ran on (a maintainer tool
                    # may read it; the package never does)
                    crops.append(est._lm_input.copy())
        log.info("%s: %d crops so far", clip.name, len(crops))
    return crops


class _Reader(CalibrationDataReader):
    def __init__(self, crops: list[np.ndarray]) -> None:
        self._it: Iterator[np.ndarray] = iter(crops)

    def get_next(self) -> dict[str, np.ndarray] | None:
        crop = next(self._it, None)
        return None if crop is None else {"input": crop}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=Path, default=VIDEOS)
    parser.add_argument("--frames", type=int, default=240, help="frames read per clip")
    parser.add_argument("--stride", type=int, default=12, help="one crop every N frames")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    if not args.videos.is_dir():
        raise SystemExit(f"no calibration clips at {args.videos}")
    crops = calibration_crops(args.videos, args.frames, args.stride)
    with tempfile.TemporaryDirectory() as tmp:
        # float32 weights (the float16-stored file's Casts would hide them from the quantizer)
        lean = lean_onnx.keep_outputs(onnx.load(models_dir() / FULL_LANDMARK_MODEL), OUTPUTS)
        lean_path, pre = Path(tmp) / "lean.onnx", Path(tmp) / "pre.onnx"
        onnx.save(lean, lean_path)
        quant_pre_process(str(lean_path), str(pre), skip_symbolic_shape=True)
        quantize_static(str(pre), str(args.out), _Reader(crops), quant_format=QuantFormat.QDQ,
                        per_channel=True, reduce_range=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax,
                        extra_options={"CalibMaxIntermediateOutputs": 16})
    log.info("wrote %s (%d bytes) from %d crops", args.out, args.out.stat().st_size, len(crops))


if __name__ == "__main__":
    main()
