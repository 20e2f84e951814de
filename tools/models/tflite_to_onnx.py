"""Convert the BlazePose TFLite models to ONNX.

A small, purpose-built converter over the ``tflite`` flatbuffer package and ``onnx.helper``.
It supports exactly the operators the MediaPipe BlazePose detector and landmark models use:

``PAD, DEQUANTIZE, DENSIFY, CONV_2D, DEPTHWISE_CONV_2D, ADD, DEPTH_TO_SPACE, RESIZE_BILINEAR,
RESHAPE, CONCATENATION, MAX_POOL_2D, LOGISTIC`` (with the fused activations NONE, RELU,
RELU_N1_TO_1, RELU6 and TANH).

Any other operator, a quantized (non-float16) DEQUANTIZE or a dynamic shape raises
:class:`ConversionError`; this is not a general TFLite converter (``tflite2onnx`` and
``tf2onnx`` both fail on these models: DENSIFY and sparse weights).

Method and limits:

- Constant subgraphs are evaluated at conversion time: float16 weights are widened to float32
  (exact) and sparse weights are densified in numpy, so the ONNX graph holds plain float32
  initializers.
- TFLite is NHWC, ONNX ``Conv`` is NCHW. 4-D activations are kept NCHW inside the graph: the
  input is transposed once at the entrance and 4-D outputs are transposed back, so the ONNX
  model keeps the TFLite interface layout (NHWC input and outputs). A RESHAPE or a
  CONCATENATION of a 4-D NCHW tensor transposes back to NHWC first unless the memory order is
  the same (H*W == 1 or C == 1).
- TFLite SAME padding is written as explicit (possibly asymmetric: more at the end) ONNX pads;
  a zero PAD over H/W that feeds only convolutions is folded into their pads.
- RESIZE_BILINEAR maps align_corners -> ``align_corners``, half_pixel_centers ->
  ``half_pixel``, neither -> ``asymmetric``. DEPTH_TO_SPACE is ONNX ``DepthToSpace`` in DCR
  mode (TensorFlow's channel order).
- The output is deterministic: serialising the same input twice gives identical bytes.

Usage: ``python tools/models/tflite_to_onnx.py IN.tflite OUT.onnx [--input-name input]
[--output-names a,b,...]``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
import tflite
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8
PRODUCER_NAME = "hepvision.models.tflite_to_onnx"
PRODUCER_VERSION = "1"

_OPS = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
_NUMPY_TYPES = {
    tflite.TensorType.FLOAT32: np.float32,
    tflite.TensorType.FLOAT16: np.float16,
    tflite.TensorType.INT32: np.int32,
    tflite.TensorType.INT64: np.int64,
    tflite.TensorType.INT8: np.int8,
    tflite.TensorType.UINT8: np.uint8,
}
_ACT_NONE, _ACT_RELU, _ACT_RELU_N1_TO_1, _ACT_RELU6, _ACT_TANH = 0, 1, 2, 3, 4
_PADDING_SAME, _PADDING_VALID = 0, 1
_NHWC_TO_NCHW = (0, 3, 1, 2)
_NCHW_TO_NHWC = (0, 2, 3, 1)


class ConversionError(ValueError):
    """The TFLite model uses something this converter does not support."""


@dataclass(slots=True)
class _Graph:
    """Mutable state while emitting ONNX nodes."""

    nodes: list[onnx.NodeProto] = field(default_factory=list)
    initializers: list[onnx.TensorProto] = field(default_factory=list)
    constants: dict[int, np.ndarray] = field(default_factory=dict)  # tflite tensor -> value
    onnx_name: dict[int, str] = field(default_factory=dict)  # tflite tensor -> ONNX name
    nchw: dict[int, bool] = field(default_factory=dict)  # tflite tensor -> stored NCHW
    counter: int = 0

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}_{self.counter}"

    def node(self, op_type: str, inputs: list[str], outputs: list[str], **attrs: object) -> None:
        self.nodes.append(
            helper.make_node(op_type, inputs, outputs, name=self.fresh(op_type), **attrs)
        )

    def initializer(self, stem: str, value: np.ndarray) -> str:
        name = self.fresh(stem)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name


def _options(op: tflite.Operator, cls: type) -> object:
    table = op.BuiltinOptions()
    if table is None:
        raise ConversionError(f"operator lacks its {cls.__name__}")
    opts = cls()
    opts.Init(table.Bytes, table.Pos)
    return opts


def _shape(tensor: tflite.Tensor) -> tuple[int, ...]:
    if tensor.ShapeSignatureLength() and any(d < 0 for d in tensor.ShapeSignatureAsNumpy()):
        raise ConversionError(f"tensor {tensor.Name().decode()} has a dynamic shape")
    return tuple(int(d) for d in tensor.ShapeAsNumpy()) if tensor.ShapeLength() else ()


def _buffer_bytes(model: tflite.Model, raw: bytes, tensor: tflite.Tensor) -> bytes:
    buf = model.Buffers(tensor.Buffer())
    if buf is None:
        return b""
    if buf.Offset() > 1:  # data stored after the flatbuffer (models > 2 GB)
        return raw[buf.Offset() : buf.Offset() + buf.Size()]
    return buf.DataAsNumpy().tobytes() if buf.DataLength() else b""


def _index_array(dim: tflite.DimensionMetadata, segments: bool) -> np.ndarray:
    kind = dim.ArraySegmentsType() if segments else dim.ArrayIndicesType()
    table = dim.ArraySegments() if segments else dim.ArrayIndices()
    cls = {
        tflite.SparseIndexVector.Int32Vector: tflite.Int32Vector,
        tflite.SparseIndexVector.Uint16Vector: tflite.Uint16Vector,
        tflite.SparseIndexVector.Uint8Vector: tflite.Uint8Vector,
    }.get(kind)
    if cls is None or table is None:
        raise ConversionError("sparse dimension without segment/index arrays")
    vec = cls()
    vec.Init(table.Bytes, table.Pos)
    return vec.ValuesAsNumpy().astype(np.int64)


def densify(
    values: np.ndarray, shape: tuple[int, ...], sparsity: tflite.SparsityParameters
) -> np.ndarray:
    """Dense array of ``shape`` from TFLite sparse storage (TACO format, optional blocks).

    Follows TFLite's ``FormatConverter``: the stored values are visited in traversal order over
    the expanded dimensions (the tensor's dimensions, then one per block dimension); a DENSE
    level enumerates ``dense_size`` children, a SPARSE_CSR level the index range given by its
    segment array.
    """
    rank = len(shape)
    order = [int(d) for d in sparsity.TraversalOrderAsNumpy()]
    block_map = [int(d) for d in sparsity.BlockMapAsNumpy()] if sparsity.BlockMapLength() else []
    parents = np.zeros(1, dtype=np.int64)
    coords: list[np.ndarray] = []
    for level in range(sparsity.DimMetadataLength()):
        dim = sparsity.DimMetadata(level)
        if dim.Format() == tflite.DimensionType.DENSE:
            size = int(dim.DenseSize())
            coords = [np.repeat(c, size) for c in coords]
            coords.append(np.tile(np.arange(size, dtype=np.int64), len(parents)))
            parents = (parents[:, None] * size + np.arange(size, dtype=np.int64)).ravel()
        else:
            segments = _index_array(dim, segments=True)
            indices = _index_array(dim, segments=False)
            starts, stops = segments[parents], segments[parents + 1]
            counts = stops - starts
            positions = np.concatenate(
                [np.zeros(0, dtype=np.int64)]
                + [np.arange(a, b, dtype=np.int64) for a, b in zip(starts, stops, strict=True)]
            )
            coords = [np.repeat(c, counts) for c in coords]
            coords.append(indices[positions])
            parents = positions
    if len(coords[0]) != values.size:
        raise ConversionError(
            f"sparse tensor holds {values.size} values, expected {len(coords[0])}"
        )
    expanded: dict[int, np.ndarray] = {order[level]: c for level, c in enumerate(coords)}
    original = []
    for d in range(rank):
        if d in block_map:
            j = block_map.index(d)
            block = int(sparsity.DimMetadata(order.index(rank + j)).DenseSize())
            original.append(expanded[d] * block + expanded[rank + j])
        else:
            original.append(expanded[d])
    dense = np.zeros(shape, dtype=values.dtype)
    dense[tuple(original)] = values.ravel()
    return dense


def _same_pads(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TensorFlow SAME padding (begin, end); the odd pixel goes at the end."""
    out = -(-size // stride)
    effective = (kernel - 1) * dilation + 1
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def _same_pads_2d(
    hw: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
) -> list[int]:
    """ONNX ``pads`` [top, left, bottom, right] equal to TensorFlow SAME padding."""
    top, bottom = _same_pads(hw[0], kernel[0], stride[0], dilation[0])
    left, right = _same_pads(hw[1], kernel[1], stride[1], dilation[1])
    return [top, left, bottom, right]


class _Converter:
    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.model = tflite.Model.GetRootAsModel(raw, 0)
        if self.model.SubgraphsLength() != 1:
            raise ConversionError("only single-subgraph models are supported")
        self.sub = self.model.Subgraphs(0)
        self.g = _Graph()
        self.consumers: dict[int, list[int]] = {}
        for i in range(self.sub.OperatorsLength()):
            for t in self.sub.Operators(i).InputsAsNumpy():
                self.consumers.setdefault(int(t), []).append(i)
        self.folded_pads: dict[int, tuple[int, list[int]]] = {}  # pad out -> (pad in, pads)

    # --- tensors -------------------------------------------------------------------------
    def tensor(self, index: int) -> tflite.Tensor:
        return self.sub.Tensors(index)

    def shape(self, index: int) -> tuple[int, ...]:
        return _shape(self.tensor(index))

    def constant(self, index: int) -> np.ndarray | None:
        if index in self.g.constants:
            return self.g.constants[index]
        tensor = self.tensor(index)
        data = _buffer_bytes(self.model, self.raw, tensor)
        if not data:
            return None
        dtype = _NUMPY_TYPES.get(tensor.Type())
        if dtype is None:
            raise ConversionError(f"tensor {tensor.Name().decode()}: unsupported type")
        value = np.frombuffer(data, dtype=dtype)
        if tensor.Sparsity() is None:  # a sparse one stays compressed; DENSIFY expands it
            value = value.reshape(self.shape(index))
        self.g.constants[index] = value
        return value

    def value(self, index: int, nchw: bool) -> str:
        """ONNX name of activation ``index`` in the requested layout (4-D only)."""
        name = self.g.onnx_name[index]
        if len(self.shape(index)) != 4 or self.g.nchw[index] == nchw:
            return name
        n, h, w, c = self.shape(index)
        if h * w == 1 or c == 1:  # same memory order either way
            target = self.shape(index) if not nchw else (n, c, h, w)
            out = self.g.fresh(f"{name}_as_{'nchw' if nchw else 'nhwc'}")
            shape = self.g.initializer("shape", np.array(target, dtype=np.int64))
            self.g.node("Reshape", [name, shape], [out])
            return out
        out = self.g.fresh(f"{name}_{'nchw' if nchw else 'nhwc'}")
        self.g.node("Transpose", [name], [out], perm=_NHWC_TO_NCHW if nchw else _NCHW_TO_NHWC)
        return out

    def define(self, index: int, nchw: bool) -> str:
        name = f"t{index}"
        self.g.onnx_name[index] = name
        self.g.nchw[index] = nchw and len(self.shape(index)) == 4
        return name

    def activation(self, fused: int, pre: str, out: str) -> None:
        if fused == _ACT_NONE:
            self.g.node("Identity", [pre], [out])
        elif fused == _ACT_RELU:
            self.g.node("Relu", [pre], [out])
        elif fused in (_ACT_RELU6, _ACT_RELU_N1_TO_1):
            lo, hi = (0.0, 6.0) if fused == _ACT_RELU6 else (-1.0, 1.0)
            lo_name = self.g.initializer("clip_min", np.array(lo, dtype=np.float32))
            hi_name = self.g.initializer("clip_max", np.array(hi, dtype=np.float32))
            self.g.node("Clip", [pre, lo_name, hi_name], [out])
        elif fused == _ACT_TANH:
            self.g.node("Tanh", [pre], [out])
        else:
            raise ConversionError(f"unsupported fused activation {fused}")

    def with_activation(self, fused: int, out: str) -> str:
        """Name the main op should write to; an activation node then writes ``out``."""
        return out if fused == _ACT_NONE else self.g.fresh(f"{out}_pre")

    # --- operators -----------------------------------------------------------------------
    def convert_op(self, op_index: int) -> None:
        op = self.sub.Operators(op_index)
        code = self.model.OperatorCodes(op.OpcodeIndex())
        name = _OPS.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()), "?")
        handler = getattr(self, f"op_{name.lower()}", None)
        if handler is None:
            raise ConversionError(f"unsupported TFLite operator {name}")
        ins = [int(i) for i in op.InputsAsNumpy()]
        outs = [int(i) for i in op.OutputsAsNumpy()]
        handler(op, ins, outs)

    def op_dequantize(self, op: tflite.Operator, ins: list[int], outs: list[int]) -> None:
        value = self.constant(ins[0])
        if value is None or value.dtype != np.float16:
            raise ConversionError("only float16 constant DEQUANTIZE is supported")
        self.g.constants[outs[0]] = value.astype(np.float32).reshape(self.shape(outs[0]))

    def op_densify(self, op: tflite.Operator, ins: list[int], outs: list[int]) -> None:
        tensor = self.tensor(ins[0])
        value = self.constant(ins[0])
        if value is None or tensor.Sparsity() is None:
            raise ConversionError("DENSIFY of a non-constant or non-sparse tensor")
        self.g.constants[outs[0]] = densify(value, self.shape(ins[0]), tensor.Sparsity())

    def op_pad(self, op: tflite.Operator, ins: list[int], outs: list[int]) -> None:
        pads = self.constant(ins[1])
        if pads is None or len(self.shape(ins[0])) != 4:
            raise ConversionError("PAD needs constant paddings on a 4-D tensor")
        pads = pads.astype(np.int64).reshape(4, 2)
        if len(ins) > 2 and ins[2] >= 0:
            raise ConversionError("PADV2 constant values are not supported")
        nchw = pads[_NHWC_TO_NCHW, :]
        consumers = self.consumers.get(outs[0], [])
        spatial_only = not nchw[:2].any()
        if spatial_only and consumers and all(self._is_conv(i) for i in consumers):
            # folded into the convolutions' own pads
            self.folded_pads[outs[0]] = (
                ins[0],
                [int(nchw[2, 0]), int(nchw[3, 0]), int(nchw[2, 1]), int(nchw[3, 1])],
            )
            return
        x = self.value(ins[0], nchw=True)
        pads_name = self.g.initializer("pads", np.concatenate([nchw[:, 0], nchw[:, 1]]))
        self.g.node("Pad", [x, pads_name], [self.define(outs[0], nchw=True)], mode="constant")

    def _is_conv(self, op_index: int) -> bool:
        code = self.model.OperatorCodes(self.sub.Operators(op_index).OpcodeIndex())
        name = _OPS.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()))
        return name in ("CONV_2D", "DEPTHWISE_CONV_2D")

    def _conv_input(self, index: int) -> tuple[str, tuple[int, int], list[int]]:
        """Input name, its NHWC spatial size and pads already folded into it."""
        if index in self.folded_pads:
            source, pads = self.folded_pads[index]
            _, h, w, _ = self.shape(source)
            return self.value(source, nchw=True), (h, w), pads
        _, h, w, _ = self.shape(index)
        return self.value(index, nchw=True), (h, w), [0, 0, 0, 0]

    def _conv(self, op: tflite.Operator, ins: list[int], outs: list[int], depthwise: bool) -> None:
        opts = _options(op, tflite.DepthwiseConv2DOptions if depthwise else tflite.Conv2DOptions)
        weights = self.constant(ins[1])
        if weights is None:
            raise ConversionError("convolution weights must be constant")
        x, (h, w), pads = self._conv_input(ins[0])
        stride = (opts.StrideH(), opts.StrideW())
        dilation = (opts.DilationHFactor(), opts.DilationWFactor())
        kh, kw = weights.shape[1], weights.shape[2]
        if opts.Padding() == _PADDING_SAME:
            if any(pads):
                raise ConversionError("SAME convolution after an explicit PAD")
            pads = _same_pads_2d((h, w), (int(kh), int(kw)), stride, dilation)
        channels = self.shape(ins[0])[3]
        if depthwise:
            # TFLite [1, KH, KW, C*M] -> ONNX [C*M, 1, KH, KW], group C
            kernel = weights.reshape(kh, kw, -1).transpose(2, 0, 1)[:, None, :, :]
            group = channels
        else:
            # TFLite [O, KH, KW, I] -> ONNX [O, I, KH, KW]
            kernel = weights.transpose(0, 3, 1, 2)
            group = 1
        inputs = [x, self.g.initializer("weight", kernel.astype(np.float32))]
        if len(ins) > 2 and ins[2] >= 0:
            bias = self.constant(ins[2])
            if bias is None:
                raise ConversionError("convolution bias must be constant")
            inputs.append(self.g.initializer("bias", bias.astype(np.float32)))
        out = self.define(outs[0], nchw=True)
        fused = opts.FusedActivationFunction()
        self.g.node(
            "Conv",
            inputs,
            [self.with_activation(fused, out)],
            kernel_shape=[int(kh), int(kw)],
            strides=list(stride),
            dilations=list(dilation),
            pads=pads,
            group=group,
        )
        if fused != _ACT_NONE:
            self.activation(fused, self.g.nodes[-1].output[0], out)

    def op_conv_2d(self, op: tflite.Operator, ins: list[int], outs: list[int]) -> None:
        self._conv(op, ins, outs, depthwise=False)

    def op_depthwise_conv_2d(self, op: tflite.Operator, ins: list[int], outs: list[int]) -> None:
        self._conv(op, ins, outs, depthwise=True)

    def op_max_pool_2d(self, op: tflite.Operator, ins: list[int], outs: list[int]) -> None:
        opts = _options(op, tflite.Pool2DOptions)
        _, h, w, _ = self.shape(ins[0])
        kh, kw = opts.FilterHeight(), opts.FilterWidth()
        sh, sw = opts.StrideH(), opts.StrideW()
        pads = [0, 0, 0, 0]
        if opts.Padding() == _PADDING_SAME:
            pads = _same_pads_2d((h, w), (kh, kw), (sh, sw), (1, 1))
        out = self.define(outs[0], nchw=True)
        fused = opts.FusedActivationFunction()
        pre = self.with_activation(fused, out)
        self.g.node(
            "MaxPool",
            [self.value(ins[0], nchw=True)],
            [pre],
            kernel_shape=[kh, kw],
            strides=[sh, sw],
            pads=pads,
        )
        if fused != _ACT_NONE:
            self.activation(fused, pre, out)

    def op_add(self, op: tflite.Operator, ins: list[int], outs: list[int]) -> None:
        opts = _options(op, tflite.AddOptions)
        names = []
        rank = len(self.shape(outs[0]))
        for index in ins:
            const = self.constant(index)
            if const is None:
                names.append(self.value(index, nchw=True))
            elif rank == 4 and const.ndim == 4:
                names.append(self.g.initializer("addend", const.transpose(_NHWC_TO_NCHW)))
            elif rank == 4 and const.ndim <= 1:
                names.append(self.g.initializer("addend", const.reshape(-1, 1, 1)))
            else:
                names.append(self.g.initializer("addend", const))
        out = self.define(outs[0], nchw=True)
        fused = opts.FusedActivationFunction()
        pre = self.with_activation(fused, out)
        self.g.node("Add", names, [pre])
        if fused != _ACT_NONE:
            self.activation(fused, pre, out)

    def op_logistic(self, op: tflite.Operator, ins: list[int], outs: list[int]) -> None:
        nchw = self.g.nchw[ins[0]]
        self.g.node("Sigmoid", [self.g.onnx_name[ins[0]]], [self.define(outs[0], nchw=nchw)])

    def op_depth_to_space(self, op: tflite.Operator, ins: list[int], outs: list[int]) -> None:
        opts = _options(op, tflite.DepthToSpaceOptions)
        self.g.node(
            "DepthToSpace",
            [self.value(ins[0], nchw=True)],
            [self.define(outs[0], nchw=True)],
            blocksize=opts.BlockSize(),
            mode="DCR",
        )

    def op_resize_bilinear(self, op: tflite.Operator, ins: list[int], outs: list[int]) -> None:
        opts = _options(op, tflite.ResizeBilinearOptions)
        if opts.AlignCorners():
            mode = "align_corners"
        elif opts.HalfPixelCenters():
            mode = "half_pixel"
        else:
            mode = "asymmetric"
        n, h, w, c = self.shape(outs[0])
        sizes = self.g.initializer("sizes", np.array([n, c, h, w], dtype=np.int64))
        self.g.node(
            "Resize",
            [self.value(ins[0], nchw=True), "", "", sizes],
            [self.define(outs[0], nchw=True)],
            mode="linear",
            coordinate_transformation_mode=mode,
        )

    def op_reshape(self, op: tflite.Operator, ins: list[int], outs: list[int]) -> None:
        target = self.shape(outs[0])
        source = self.shape(ins[0])
        same_order = len(source) == 4 and (source[1] * source[2] == 1 or source[3] == 1)
        x = self.g.onnx_name[ins[0]] if same_order else self.value(ins[0], nchw=False)
        shape = self.g.initializer("shape", np.array(target, dtype=np.int64))
        self.g.node("Reshape", [x, shape], [self.define(outs[0], nchw=False)])

    def op_concatenation(self, op: tflite.Operator, ins: list[int], outs: list[int]) -> None:
        opts = _options(op, tflite.ConcatenationOptions)
        rank = len(self.shape(outs[0]))
        axis = opts.Axis() % rank
        nchw = rank == 4
        if nchw:
            axis = _NHWC_TO_NCHW.index(axis)
        names = [self.value(i, nchw=nchw) for i in ins]
        out = self.define(outs[0], nchw=nchw)
        fused = opts.FusedActivationFunction()
        pre = self.with_activation(fused, out)
        self.g.node("Concat", names, [pre], axis=axis)
        if fused != _ACT_NONE:
            self.activation(fused, pre, out)

    # --- graph ---------------------------------------------------------------------------
    def run(
        self, input_names: list[str] | None, output_names: list[str] | None, graph_name: str
    ) -> onnx.ModelProto:
        sub = self.sub
        in_idx = [int(i) for i in sub.InputsAsNumpy()]
        out_idx = [int(i) for i in sub.OutputsAsNumpy()]
        input_names = input_names or [self.tensor(i).Name().decode() for i in in_idx]
        output_names = output_names or [self.tensor(i).Name().decode() for i in out_idx]
        if len(input_names) != len(in_idx) or len(output_names) != len(out_idx):
            raise ConversionError("wrong number of input or output names")
        graph_inputs = []
        for index, name in zip(in_idx, input_names, strict=True):
            shape = self.shape(index)
            graph_inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
            self.g.onnx_name[index] = name
            self.g.nchw[index] = False
            if len(shape) == 4:  # transpose once at the entrance
                self.g.node(
                    "Transpose", [name], [self.define(index, nchw=True)], perm=_NHWC_TO_NCHW
                )
        for i in range(sub.OperatorsLength()):
            self.convert_op(i)
        graph_outputs = []
        for index, name in zip(out_idx, output_names, strict=True):
            shape = self.shape(index)
            self.g.node("Identity", [self.value(index, nchw=False)], [name])
            graph_outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
        graph = helper.make_graph(
            _drop_identities(self.g.nodes, set(output_names)),
            graph_name,
            graph_inputs,
            graph_outputs,
            self.g.initializers,
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name=PRODUCER_NAME,
            producer_version=PRODUCER_VERSION,
            ir_version=IR_VERSION,
        )
        onnx.checker.check_model(model, full_check=True)
        return model


def _drop_identities(nodes: list[onnx.NodeProto], keep: set[str]) -> list[onnx.NodeProto]:
    """Remove Identity nodes by renaming; an Identity producing a graph output stays unless
    its producer can write the output name directly."""
    producers = {out: n for n in nodes for out in n.output}
    consumers: dict[str, int] = {}
    for n in nodes:
        for i in n.input:
            consumers[i] = consumers.get(i, 0) + 1
    rename: dict[str, str] = {}
    result = []
    for n in nodes:
        if n.op_type == "Identity":
            src = n.input[0]
            if n.output[0] in keep:
                producer = producers.get(src)
                if producer is not None and consumers.get(src, 0) == 1 and src not in keep:
                    rename[src] = n.output[0]
                    continue
                result.append(n)
                continue
            rename[n.output[0]] = src
            continue
        result.append(n)

    def resolve(name: str) -> str:
        while name in rename:
            name = rename[name]
        return name

    for n in result:
        n.input[:] = [resolve(i) if i else i for i in n.input]
        n.output[:] = [resolve(o) for o in n.output]
    return result


def convert(
    tflite_bytes: bytes,
    *,
    input_names: list[str] | None = None,
    output_names: list[str] | None = None,
    graph_name: str = "model",
) -> onnx.ModelProto:
    """ONNX model equivalent to the TFLite flatbuffer ``tflite_bytes`` (see module docs)."""
    return _Converter(tflite_bytes).run(input_names, output_names, graph_name)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tflite", type=Path)
    parser.add_argument("onnx", type=Path)
    parser.add_argument("--input-name", default=None)
    parser.add_argument("--output-names", default=None, help="comma separated, in TFLite order")
    args = parser.parse_args(argv)
    model = convert(
        args.tflite.read_bytes(),
        input_names=[args.input_name] if args.input_name else None,
        output_names=args.output_names.split(",") if args.output_names else None,
        graph_name=args.tflite.stem,
    )
    args.onnx.write_bytes(model.SerializeToString(deterministic=True))


if __name__ == "__main__":
    main()
