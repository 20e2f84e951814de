"""Lossless slimming of a converted ONNX model: drop unused heads, store float16 weights.

Two transforms, both exact (the slimmed model's outputs are bit-identical to the source's on
ONNX Runtime, checked by ``build_models.py``):

- :func:`keep_outputs`: remove every node, initializer and value_info that none of the kept
  outputs depends on. ONNX Runtime runs every node of a graph whatever outputs a caller asks
  for, so a head nobody reads (BlazePose's 256x256 segmentation mask, ~35 % of the landmark
  model's CPU time) costs as much as one that is read.
- :func:`store_float16`: a float32 initializer whose every value is exactly a float16 (all
  conv weights of the mediapipe models: the TFLite files store them as float16 and the
  converter widened them) is stored as float16 and widened back by a ``Cast`` node in front of
  the graph. ONNX Runtime folds those casts when it loads the model, so the arithmetic is the
  source's float32 arithmetic; the file is half the size.

Nodes keep their order and the protobuf is serialised deterministically by the caller, so the
output is byte-for-byte reproducible.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

#: Initializers smaller than this stay float32 (biases, shapes: nothing to gain).
MIN_FLOAT16_SIZE = 64
CAST_SUFFIX = "_f16"


def keep_outputs(model: onnx.ModelProto, outputs: list[str]) -> onnx.ModelProto:
    """A copy of ``model`` computing only ``outputs`` (in that order)."""
    lean = onnx.ModelProto()
    lean.CopyFrom(model)
    graph = lean.graph
    by_name = {o.name: o for o in graph.output}
    missing = [name for name in outputs if name not in by_name]
    if missing:
        raise ValueError(f"model has no outputs {missing}")
    needed = set(outputs)
    kept_nodes = []
    for node in reversed(graph.node):
        if any(out in needed for out in node.output):
            kept_nodes.append(node)
            needed.update(i for i in node.input if i)
    kept_nodes.reverse()
    kept_outputs = [by_name[name] for name in outputs]
    kept_inits = [i for i in graph.initializer if i.name in needed]
    kept_info = [v for v in graph.value_info if v.name in needed]
    _replace(graph.node, kept_nodes)
    _replace(graph.output, kept_outputs)
    _replace(graph.initializer, kept_inits)
    _replace(graph.value_info, kept_info)
    return lean


def store_float16(model: onnx.ModelProto) -> tuple[onnx.ModelProto, int, int]:
    """A copy of ``model`` with exactly-float16 initializers stored as float16.

    Returns the model and the number of values stored as float16 and as float32.
    """
    lean = onnx.ModelProto()
    lean.CopyFrom(model)
    graph = lean.graph
    inits, casts = [], []
    n16 = n32 = 0
    for init in graph.initializer:
        values = numpy_helper.to_array(init)
        if (values.dtype == np.float32 and values.size >= MIN_FLOAT16_SIZE
                and np.array_equal(values.astype(np.float16).astype(np.float32), values)):
            half = numpy_helper.from_array(values.astype(np.float16), init.name + CAST_SUFFIX)
            inits.append(half)
            casts.append(helper.make_node("Cast", [half.name], [init.name],
                                          name=init.name + "_cast", to=TensorProto.FLOAT))
            n16 += values.size
        else:
            inits.append(init)
            n32 += values.size
    nodes = casts + list(graph.node)
    _replace(graph.initializer, inits)
    _replace(graph.node, nodes)
    return lean, n16, n32


def _replace(field: object, items: list) -> None:
    """Replace the contents of a repeated protobuf field."""
    del field[:]  # type: ignore[index]
    field.extend(items)  # type: ignore[attr-defined]
