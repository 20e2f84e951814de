"""ONNX Runtime sessions of the ONNX backend, and running one in fixed buffers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hepvision.errors import ModelError


def create_session(path: Path, threads: int) -> Any:
    """An ONNX Runtime CPU session for ``path``."""
    try:
        import onnxruntime as ort
    except ImportError as exc:  # pragma: no cover - onnxruntime is a core dependency
        raise ModelError("onnxruntime is not installed; install hepvision's dependencies") from exc
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Spinning worker threads cost 2x when other processes share the cores (measured on 2
    # cores: 52 ms vs 31 ms per landmark inference under load) and save little when idle.
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), sess_options=so, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelError(f"cannot load ONNX model {path}: {exc}") from exc



class BoundRun:
    """Runs ``session`` on one input array into output arrays allocated once.

    The input is read in place at each :meth:`run` (write the next frame into it first); the
    outputs are overwritten by the next run. A per-frame ``session.run`` allocates four fresh
    output arrays (the heatmap alone is 640 KB) and wraps the input anew each time.
    """

    def __init__(self, session: Any, input_name: str, input_array: np.ndarray,
                 output_names: list[str]) -> None:
        meta = {o.name: o for o in session.get_outputs()}
        self._session = session
        self._binding = session.io_binding()
        self._binding.bind_cpu_input(input_name, input_array)
        self.outputs: list[np.ndarray] = []
        for name in output_names:
            if meta[name].type != "tensor(float)":
                raise ModelError(f"output {name} is {meta[name].type}, expected tensor(float)")
            shape = [d if isinstance(d, int) else 1 for d in meta[name].shape]
            array = np.empty(shape, np.float32)
            self._binding.bind_output(name, "cpu", 0, np.float32, shape, array.ctypes.data)
            self.outputs.append(array)

    def run(self) -> list[np.ndarray]:
        """Run once; the output arrays, in the order of ``output_names``."""
        self._session.run_with_iobinding(self._binding)
        return self.outputs
