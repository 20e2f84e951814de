"""Choosing the landmark model and its threads at start, from a short measurement.

The landmark model runs on every frame; everything else (crop, detector on lost tracking,
post-processing, analysis, decoding on another thread) adds a few milliseconds. So the model
*keeps up* when one inference takes at most :data:`POSE_SHARE` of the frame interval in wall
time (23 ms at 30 fps). For each candidate, most accurate first, :func:`select_model` probes
one intra-op thread, then more only while one is not enough and each added thread still helps
(:data:`MIN_THREAD_GAIN`): one thread costs the least CPU per frame (threads hand work back and
forth), so more are used only when one would drop frames. The first (candidate, threads) that
keeps up wins. When none does, the last candidate (the cheapest) runs with its fastest thread
count and the selection says it does not keep up.

A probe is :data:`PROBE_RUNS` inferences on a fixed pseudo-random crop after
:data:`PROBE_WARMUP` unmeasured ones (the convolutions cost the same whatever the pixels):
~0.2 s per probe on a 2-core laptop, plus ~0.3 s to load each session. Limits: a probe measures
the machine as it is at start; a machine that gets busier later drops frames (the live grabber
keeps latency bounded by dropping them), one that gets quieter keeps the choice.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hepvision.pose.models import verified_model_path
from hepvision.pose.types import ModelSelection, VariantTiming
from hepvision.pose.variants import (
    AUTO_CANDIDATES,
    PoseModel,
    bundled,
    landmark_file,
    parse_model,
)

#: Share of the frame interval one landmark inference may take (wall) and still keep up.
POSE_SHARE = 0.7
#: Inference threads never exceed this (nor the machine's cores).
MAX_THREADS = 4
#: An added thread is tried only while the previous one cut wall time by this share.
MIN_THREAD_GAIN = 0.1
PROBE_RUNS = 6
PROBE_WARMUP = 2
#: OpenCV threads the ONNX backend sets (see ``OnnxPoseOptions.opencv_threads``).
OPENCV_THREADS = 1

#: Measures one model file with a thread count: (CPU ms, wall ms) per inference.
Probe = Callable[[Path, int], tuple[float, float]]


def probe_landmarks(path: Path, threads: int) -> tuple[float, float]:
    """Median process-CPU and wall milliseconds of one inference of the model at ``path``."""
    from hepvision.pose.onnx_backend import create_session

    session = create_session(path, threads)
    shape = [d if isinstance(d, int) else 1 for d in session.get_inputs()[0].shape]
    x = np.random.default_rng(0).uniform(0.0, 1.0, size=shape).astype(np.float32)
    outputs = [o.name for o in session.get_outputs()]
    cpu, wall = [], []
    for i in range(PROBE_WARMUP + PROBE_RUNS):
        c0, t0 = time.process_time(), time.perf_counter()
        session.run(outputs, {"input": x})
        if i >= PROBE_WARMUP:
            cpu.append((time.process_time() - c0) * 1000.0)
            wall.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(cpu), statistics.median(wall)


def select_model(requested: str = "auto", *, source_fps: float = 30.0,
                 model_dir: Path | None = None, max_threads: int | None = None,
                 probe: Probe = probe_landmarks) -> ModelSelection:
    """The landmark variant and thread count to run at ``source_fps`` on this machine.

    ``requested`` is ``auto`` (the most accurate bundled variant that keeps up) or a variant
    name (its thread count is still chosen by measurement).

    Raises:
        ModelError: an unknown name, or a variant that is not bundled (``lite``, ``heavy``).
        ValueError: ``source_fps`` is not positive.
    """
    if not source_fps > 0:
        raise ValueError(f"source_fps must be positive, got {source_fps}")
    model = parse_model(requested)
    if model is PoseModel.AUTO:
        candidates = [m for m in AUTO_CANDIDATES if bundled(m)]
    else:
        landmark_file(model)  # raises for a variant without a file
        candidates = [model]
    budget_ms = POSE_SHARE * 1000.0 / source_fps
    limit = max(1, min(MAX_THREADS, max_threads or os.cpu_count() or 1))
    probes: list[VariantTiming] = []
    for candidate in candidates:
        path, _ = verified_model_path(landmark_file(candidate), model_dir)
        threads = _probe_threads(candidate, path, limit, budget_ms, probe, probes)
        if threads is not None:
            return _selection(requested, candidate, threads, source_fps, budget_ms, True, probes)
    cheapest = candidates[-1].value
    fastest = min((p for p in probes if p.model == cheapest), key=lambda p: p.wall_ms)
    return _selection(requested, candidates[-1], fastest.threads, source_fps, budget_ms, False,
                      probes)


def _probe_threads(candidate: PoseModel, path: Path, limit: int, budget_ms: float,
                   probe: Probe, probes: list[VariantTiming]) -> int | None:
    """The fewest threads with which ``candidate`` keeps up (None: none up to ``limit``);
    appends each probe to ``probes``."""
    previous_wall = float("inf")
    for threads in range(1, limit + 1):
        cpu_ms, wall_ms = probe(path, threads)
        keeps_up = wall_ms <= budget_ms
        probes.append(VariantTiming(candidate.value, threads, cpu_ms, wall_ms, keeps_up))
        if keeps_up:
            return threads
        if wall_ms > previous_wall * (1.0 - MIN_THREAD_GAIN):
            return None  # this thread did not help enough: more will not either
        previous_wall = wall_ms
    return None


def _selection(requested: str, model: PoseModel, threads: int, source_fps: float,
               budget_ms: float, keeps_up: bool,
               probes: list[VariantTiming]) -> ModelSelection:
    return ModelSelection(requested=requested, model=model.value,
                          landmark_model=landmark_file(model), intra_op_threads=threads,
                          opencv_threads=OPENCV_THREADS, source_fps=source_fps,
                          budget_ms=budget_ms, keeps_up=keeps_up, probes=tuple(probes))
