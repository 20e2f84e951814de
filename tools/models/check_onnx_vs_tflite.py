"""Compare saved ONNX Runtime outputs with the TFLite interpreter.

Runs in the throwaway environment of ``build_models.py --verify`` (``ai-edge-litert`` installed
there, never in hepvision's dependencies). Reads an ``.npz`` holding ``input`` (a batch of NHWC
inputs) and the ONNX outputs by name (TFLite output order), runs the TFLite model on the same
inputs and fails when an output's max absolute difference exceeds 1e-3 of its max magnitude.

Usage: ``python check_onnx_vs_tflite.py MODEL.tflite OUTPUTS.npz``
"""

from __future__ import annotations

import sys

import numpy as np
from ai_edge_litert.interpreter import Interpreter

RELATIVE_TOLERANCE = 1e-3


def main(argv: list[str]) -> int:
    model_path, npz_path = argv
    saved = np.load(npz_path)
    names = [n for n in saved.files if n != "input"]
    interpreter = Interpreter(model_path=model_path, num_threads=2)
    interpreter.allocate_tensors()
    input_index = interpreter.get_input_details()[0]["index"]
    details = interpreter.get_output_details()
    if len(details) != len(names):
        print(f"{model_path}: {len(details)} TFLite outputs, {len(names)} ONNX outputs")
        return 1
    results: list[list[np.ndarray]] = [[] for _ in details]
    for x in saved["input"]:
        interpreter.set_tensor(input_index, x[None])
        interpreter.invoke()
        for i, d in enumerate(details):
            results[i].append(interpreter.get_tensor(d["index"]).copy())
    failed = False
    for i, name in enumerate(names):
        reference = np.concatenate(results[i])
        ours = saved[name]
        diff = float(np.abs(reference - ours).max()) if reference.shape == ours.shape else np.inf
        scale = float(np.abs(reference).max()) or 1.0
        ok = diff <= RELATIVE_TOLERANCE * scale
        failed |= not ok
        print(
            f"{model_path}: {name} ({details[i]['name']}, {list(reference.shape)}) "
            f"max|diff| {diff:.3g}, max|ref| {scale:.3g}: {'ok' if ok else 'FAIL'}"
        )
    return int(failed)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
