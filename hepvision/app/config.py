"""Settings of the browser app, fixed when the app is built (``create_app(settings)``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from hepvision.live.flow import ExercisePlan
from hepvision.pose.base import PoseEstimator
from hepvision.wire.prescription import Prescription

#: Where the page's poses come from: the browser (landmarks over the socket) or this
#: process (the page sends JPEG frames, the pose backend runs here).
PoseSource = Literal["browser", "server"]
#: The page's pose source unless ``--pose`` or the page's ``?pose=`` says otherwise.
DEFAULT_POSE: PoseSource = "server"

#: Called with each saved session record (e.g. to queue it for upload).
OnSaved = Callable[[dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class AppSettings:
    """What the page offers and where sessions go.

    Attributes:
        out_dir: folder the session records are written to (``<session_id>.json``).
        program: a fixed program (today's prescribed program, or a program file): the
            session runs all of it. When None the patient picks one exercise from
            ``exercise_ids``.
        prescription_version: the prescription version ``program`` follows (None: none).
        prescription: the device's prescription: a picked exercise it has runs with the
            patient's overrides and dosage, and names its version.
        exercise_ids: the exercises offered when there is no program (one id = preselected).
        sets, reps, rest_s: dosage overrides for a picked exercise (None: the template's
            own dosage); ``reps = 0`` makes a set open-ended (ended with "Next"/"Stop").
        pose: where the page's poses come from by default (the page's ``?pose=`` overrides).
        backend: pose backend name for ``pose = "server"`` (see :mod:`hepvision.pose.factory`).
        estimator_factory: builds the pose backend of one session (tests inject a fake);
            None means ``create_estimator(backend)``.
        on_saved: called with every saved record (the CLI queues it for upload).
        allow_remote: accept page and WebSocket connections from non-loopback clients.
            Off by default: camera frames never leave this machine.
        max_frame_bytes: larger frame messages are refused (a 1080p JPEG is ~0.5 MB).
    """

    out_dir: Path
    program: tuple[ExercisePlan, ...] | None = None
    prescription_version: int | None = None
    prescription: Prescription | None = None
    exercise_ids: tuple[str, ...] = ()
    sets: int | None = None
    reps: int | None = None
    rest_s: float | None = None
    pose: PoseSource = DEFAULT_POSE
    backend: str = "onnx"
    estimator_factory: Callable[[], PoseEstimator] | None = None
    on_saved: OnSaved | None = None
    allow_remote: bool = False
    max_frame_bytes: int = 4 * 1024 * 1024

    def __post_init__(self) -> None:
        if not self.program and not self.exercise_ids:
            raise ValueError("the app needs a program or at least one exercise id")
