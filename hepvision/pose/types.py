"""Records at the pose boundary: landmark ids, per-frame results, backend information."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hepvision.vocabulary import PoseLandmark

__all__ = ["NUM_LANDMARKS", "POSE_CONNECTIONS", "BackendInfo", "ModelSelection", "PoseLandmark",
           "PoseResult", "VariantTiming"]

NUM_LANDMARKS = len(PoseLandmark)

#: Skeleton edges for drawing, as pairs of landmark ids.
POSE_CONNECTIONS: tuple[tuple[int, int], ...] = (
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16),
    (15, 17), (15, 19), (15, 21), (17, 19), (16, 18), (16, 20), (16, 22), (18, 20),
    (11, 23), (12, 24), (23, 24), (23, 25), (25, 27), (24, 26), (26, 28),
    (27, 29), (29, 31), (27, 31), (28, 30), (30, 32), (28, 32),
    (0, 1), (1, 2), (2, 3), (3, 7), (0, 4), (4, 5), (5, 6), (6, 8), (9, 10),
)


@dataclass(frozen=True, slots=True)
class PoseResult:
    """The pose of one person in one frame.

    Attributes:
        timestamp_ms: the frame's timestamp, integer milliseconds.
        landmarks: (33, 4) float32: x, y normalised to the image width and height (0..1,
            may fall outside when a point is out of frame), z in the same scale as x
            (relative depth, hip midpoint ~0, smaller = nearer the camera), visibility 0..1.
            All NaN (visibility 0) when nobody was found.
        world_landmarks: (33, 3) float32, metres, origin at the hip midpoint, x right,
            y down, z away from the camera (MediaPipe's world frame). NaN when nobody was found.
        image_width_px, image_height_px: size of the frame the landmarks refer to.
        presence: 0..1 confidence that a person is present (0 when nobody was found).
    """

    timestamp_ms: int
    landmarks: np.ndarray
    world_landmarks: np.ndarray
    image_width_px: int
    image_height_px: int
    presence: float

    @property
    def detected(self) -> bool:
        return bool(self.presence > 0.0 and np.isfinite(self.landmarks[:, 0]).any())

    def pixels(self) -> np.ndarray:
        """(33, 2) float32 landmark positions in pixels."""
        scale = np.array([self.image_width_px, self.image_height_px], dtype=np.float32)
        return self.landmarks[:, :2] * scale

    @classmethod
    def empty(cls, timestamp_ms: int, width_px: int, height_px: int) -> PoseResult:
        """A result for a frame with nobody in view."""
        lm = np.full((NUM_LANDMARKS, 4), np.nan, dtype=np.float32)
        lm[:, 3] = 0.0
        world = np.full((NUM_LANDMARKS, 3), np.nan, dtype=np.float32)
        return cls(timestamp_ms, lm, world, width_px, height_px, 0.0)


@dataclass(frozen=True, slots=True)
class VariantTiming:
    """One probe of a landmark model at start: median milliseconds per inference.

    Attributes:
        model: the variant probed (``full-f16``...); threads: its intra-op threads.
        cpu_ms: process CPU time per inference (all of its threads); wall_ms: wall time.
        keeps_up: ``wall_ms`` fits the budget of the selection it belongs to.
    """

    model: str
    threads: int
    cpu_ms: float
    wall_ms: float
    keeps_up: bool


@dataclass(frozen=True, slots=True)
class ModelSelection:
    """Which landmark model a backend runs, with how many threads, and why.

    Attributes:
        requested: what was asked: a variant, ``auto``, or ``default`` (no choice given:
            the default variant, one thread, nothing measured).
        model: the variant that runs; landmark_model: its file (its SHA-256 is in
            :attr:`BackendInfo.model_sha256`).
        intra_op_threads: ONNX Runtime intra-op threads of its sessions (0: the backend does
            not say, e.g. MediaPipe Tasks).
        opencv_threads: OpenCV's thread count the backend set (-1: left as it was).
        source_fps: the frame rate the choice had to keep up with.
        budget_ms: the wall time per inference that keeps up (a share of the frame interval).
        keeps_up: whether the chosen model met the budget when probed (False: frames will be
            dropped at this rate on this machine; nothing cheaper was available).
        probes: every probe made, in order (empty when nothing was measured).
    """

    requested: str
    model: str
    landmark_model: str
    intra_op_threads: int
    opencv_threads: int
    source_fps: float = 0.0
    budget_ms: float = 0.0
    keeps_up: bool = True
    probes: tuple[VariantTiming, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """JSON-ready, for reports and saved sessions."""
        return {"requested": self.requested, "model": self.model,
                "landmark_model": self.landmark_model,
                "intra_op_threads": self.intra_op_threads,
                "opencv_threads": self.opencv_threads, "source_fps": round(self.source_fps, 3),
                "budget_ms": round(self.budget_ms, 2), "keeps_up": self.keeps_up,
                "probes": [{"model": p.model, "threads": p.threads, "cpu_ms": round(p.cpu_ms, 2),
                            "wall_ms": round(p.wall_ms, 2), "keeps_up": p.keeps_up}
                           for p in self.probes]}


@dataclass(frozen=True, slots=True)
class BackendInfo:
    """What produced a stream of pose results, recorded in every report.

    Attributes:
        name: backend name, e.g. ``"onnx"``, ``"mediapipe"``, ``"replay"``.
        model_sha256: mapping of model file name to SHA-256 hex digest (empty for replay
            unless the recording says which models made it).
        selection: the landmark model variant and threads the backend runs, and how they
            were chosen (None for a backend without a choice, e.g. a replay).
    """

    name: str
    model_sha256: dict[str, str]
    selection: ModelSelection | None = None
