"""Landmark recordings: the pose stream of a run saved to ``.npz`` and read back.

A recording lets everything after pose be re-run, tested and benchmarked without a model.
File layout (``numpy.savez_compressed``):

    format            str, "hepvision-landmarks"
    version           int, 1
    timestamps_ms     (N,) int64, strictly increasing
    landmarks         (N, 33, 4) float32, normalized x, y, z, visibility (NaN rows: nobody)
    world_landmarks   (N, 33, 3) float32, metres
    presence          (N,) float32
    image_size_px     (2,) int64, width and height
    metadata          str, JSON object (source, backend, model SHA-256s, fps, ...)
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hepvision.errors import LandmarkFileError
from hepvision.pose.types import NUM_LANDMARKS, BackendInfo, PoseResult

FORMAT_NAME = "hepvision-landmarks"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class LandmarkRecording:
    """A recorded pose stream.

    Attributes:
        results: one PoseResult per frame, in time order.
        fps: nominal frame rate of the source.
        metadata: JSON-ready description of how the recording was made.
    """

    results: tuple[PoseResult, ...]
    fps: float
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_ms(self) -> int:
        if not self.results:
            return 0
        return self.results[-1].timestamp_ms - self.results[0].timestamp_ms

    def __len__(self) -> int:
        return len(self.results)


def save_recording(path: str | Path, results: Iterable[PoseResult], *, fps: float,
                   metadata: dict[str, Any] | None = None) -> Path:
    """Write results to ``path`` (``.npz`` is appended if missing). Returns the path written."""
    rows = list(results)
    if not rows:
        raise LandmarkFileError("nothing to record: no frames were processed")
    out = Path(path)
    if out.suffix != ".npz":
        out = out.with_name(out.name + ".npz")
    meta = dict(metadata or {})
    meta.setdefault("fps", fps)
    width, height = rows[0].image_width_px, rows[0].image_height_px
    tmp = out.with_name(out.name + ".part")
    with tmp.open("wb") as fh:
        np.savez_compressed(
            fh,
            format=np.array(FORMAT_NAME),
            version=np.array(FORMAT_VERSION),
            timestamps_ms=np.array([r.timestamp_ms for r in rows], dtype=np.int64),
            landmarks=np.stack([r.landmarks for r in rows]).astype(np.float32),
            world_landmarks=np.stack([r.world_landmarks for r in rows]).astype(np.float32),
            presence=np.array([r.presence for r in rows], dtype=np.float32),
            image_size_px=np.array([width, height], dtype=np.int64),
            metadata=np.array(json.dumps(meta, sort_keys=True)),
        )
    tmp.replace(out)
    return out


def load_recording(path: str | Path) -> LandmarkRecording:
    """Read a recording written by :func:`save_recording`.

    Raises:
        LandmarkFileError: missing file, not a recording, wrong shapes or non-increasing times.
    """
    src = Path(path)
    if not src.is_file():
        raise LandmarkFileError(f"landmark file not found: {src}")
    try:
        with np.load(src, allow_pickle=False) as data:
            if str(data["format"]) != FORMAT_NAME:
                raise LandmarkFileError(f"{src} is not a hepvision landmark recording")
            version = int(data["version"])
            if version > FORMAT_VERSION:
                raise LandmarkFileError(
                    f"{src} has landmark format version {version}; this hepvision reads up to "
                    f"{FORMAT_VERSION}")
            times = data["timestamps_ms"].astype(np.int64)
            lms = data["landmarks"].astype(np.float32)
            world = data["world_landmarks"].astype(np.float32)
            presence = data["presence"].astype(np.float32)
            width, height = (int(v) for v in data["image_size_px"])
            metadata = json.loads(str(data["metadata"]))
    except LandmarkFileError:
        raise
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise LandmarkFileError(f"cannot read landmark file {src}: {exc}") from exc
    n = len(times)
    if n == 0:
        raise LandmarkFileError(f"{src} holds no frames")
    if lms.shape != (n, NUM_LANDMARKS, 4) or world.shape != (n, NUM_LANDMARKS, 3) \
            or presence.shape != (n,):
        raise LandmarkFileError(f"{src} has malformed arrays (landmarks {lms.shape})")
    if n > 1 and not np.all(np.diff(times) > 0):
        raise LandmarkFileError(f"{src}: timestamps are not strictly increasing")
    results = tuple(
        PoseResult(int(times[i]), lms[i], world[i], width, height, float(presence[i]))
        for i in range(n)
    )
    fps = float(metadata.get("fps") or _estimate_fps(times))
    return LandmarkRecording(results, fps, metadata)


def _estimate_fps(times: np.ndarray) -> float:
    if len(times) < 2:
        return 30.0
    step = float(np.median(np.diff(times)))
    return 1000.0 / step if step > 0 else 30.0


class ReplayPoseEstimator:
    """The ``replay`` backend: serves a recording's results instead of running a model.

    Used two ways: iterate :meth:`stream` to re-run everything after pose without any video,
    or call :meth:`estimate` with frames of the original clip (looked up by timestamp, with a
    tolerance of half a frame).
    """

    def __init__(self, recording: LandmarkRecording | str | Path) -> None:
        self.recording = (recording if isinstance(recording, LandmarkRecording)
                          else load_recording(recording))
        self._times = np.array([r.timestamp_ms for r in self.recording.results], dtype=np.int64)
        self._tolerance_ms = max(1, int(500.0 / max(self.recording.fps, 1.0)))

    @property
    def info(self) -> BackendInfo:
        shas = self.recording.metadata.get("model_sha256") or {}
        return BackendInfo("replay", {str(k): str(v) for k, v in shas.items()})

    def stream(self) -> Iterator[PoseResult]:
        return iter(self.recording.results)

    def estimate(self, frame: Any) -> PoseResult:
        ts = int(frame.timestamp_ms)
        i = int(np.searchsorted(self._times, ts))
        best = None
        for j in (i - 1, i):
            if 0 <= j < len(self._times):
                if best is None or abs(self._times[j] - ts) < abs(self._times[best] - ts):
                    best = j
        height, width = frame.height_px, frame.width_px
        if best is None or abs(int(self._times[best]) - ts) > self._tolerance_ms:
            return PoseResult.empty(ts, width, height)
        r = self.recording.results[best]
        return PoseResult(ts, r.landmarks, r.world_landmarks, r.image_width_px,
                          r.image_height_px, r.presence)

    def close(self) -> None:
        pass

    def __enter__(self) -> ReplayPoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
