"""The phone's WebSocket messages: binary landmark frames and JSON controls.

Page -> server, in one ordered stream numbered by ``seq`` (frames and controls share it, so a
buffered stream replays in the order it was made):

- **hello** (text, first message on every connection, no ``seq``): the device token and the
  session to resume (``null`` for a new one). The server answers ``session`` with the last
  ``seq`` it has applied (``received``); the page then sends what follows it.
- **frame** (binary, :func:`parse_frame`): little-endian, 32 header bytes then, when a person
  was found, 33 x (x, y, z as int16 / 8192, visibility as uint8 / 250, 255 = unknown) and
  33 x world (x, y, z as int16 / 10000 m); -32768 marks a coordinate the model did not give.
  Header: ``u8`` format version (1), ``u8`` flags (bit 0: person found), ``u16`` image width
  and ``u16`` height (px), ``u16`` 0, ``u32`` seq, ``u32`` camera frames the page did not pose
  so far, ``f64`` capture time (ms, the page's ``performance.now()`` clock), ``f32`` pose
  presence, ``f32`` time the frame spent in the page before it was sent (ms). 461 bytes
  with a person, 32 without.
- **control** (text JSON with ``seq``): ``pain`` (``value`` 0-10), ``skip_pain``, ``next`` (end
  the set / skip the rest), ``stop``, ``tick`` (advance the rest timer).

Server -> page (text JSON with ``type``): ``session``, ``result`` (per frame: ``seq``, reps,
signal, state, view, setup message, cue, status), ``status`` (per control), ``summary`` (the
session is stored), ``error`` (``message``; a bad message never closes the socket, a bad token
does).
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass
from typing import Annotated, Literal, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from hepvision.errors import HepvisionError
from hepvision.pose.types import NUM_LANDMARKS, PoseResult

FORMAT_VERSION = 1
HEADER = struct.Struct("<BBHHHIIdff")
IMAGE_SCALE = 8192.0
WORLD_SCALE_M = 10000.0
MISSING = -32768
_IMAGE = np.dtype([("xyz", "<i2", (3,)), ("vis", "u1")])
_WORLD = np.dtype([("xyz", "<i2", (3,))])
FRAME_BYTES = HEADER.size + NUM_LANDMARKS * (_IMAGE.itemsize + _WORLD.itemsize)
EMPTY_FRAME_BYTES = HEADER.size


M = TypeVar("M")


class WireError(HepvisionError):
    """A message the page sent does not follow the protocol."""


@dataclass(frozen=True, slots=True)
class LandmarkFrame:
    """One posed camera frame as the page sent it.

    Attributes:
        seq: position in the page's message stream.
        dropped: camera frames the page did not pose so far (cumulative).
        t_ms: capture time, milliseconds on the page's clock.
        page_ms: capture to send, milliseconds (pose in the browser included).
        pose: the landmarks as a :class:`PoseResult` whose ``timestamp_ms`` is still 0 (the
            session sets it relative to its first frame).
    """

    seq: int
    dropped: int
    t_ms: float
    page_ms: float
    pose: PoseResult


def parse_frame(data: bytes) -> LandmarkFrame:
    """Decode a binary frame message.

    Raises:
        WireError: wrong size or version, a non-finite time, an implausible image size.
    """
    if len(data) not in (FRAME_BYTES, EMPTY_FRAME_BYTES):
        raise WireError(f"a landmark frame is {FRAME_BYTES} or {EMPTY_FRAME_BYTES} bytes, "
                        f"not {len(data)}")
    version, flags, width, height, _, seq, dropped, t_ms, presence, page_ms = \
        HEADER.unpack_from(data)
    if version != FORMAT_VERSION:
        raise WireError(f"landmark frame format {version}; this server reads {FORMAT_VERSION}")
    if not (np.isfinite(t_ms) and t_ms >= 0 and np.isfinite(page_ms)):
        raise WireError("the frame time must be a finite, non-negative number")
    if not (16 <= width <= 8192 and 16 <= height <= 8192):
        raise WireError(f"implausible image size {width}x{height}")
    found = bool(flags & 1)
    if found != (len(data) == FRAME_BYTES):
        raise WireError("the frame's flags and its length disagree")
    if not found:
        pose = PoseResult.empty(0, width, height)
    else:
        pose = _pose(data, width, height, float(presence))
    return LandmarkFrame(seq, dropped, t_ms, max(0.0, page_ms), pose)


def _pose(data: bytes, width: int, height: int, presence: float) -> PoseResult:
    image = np.frombuffer(data, _IMAGE, NUM_LANDMARKS, HEADER.size)
    world = np.frombuffer(data, _WORLD, NUM_LANDMARKS, HEADER.size + image.nbytes)
    lm = np.empty((NUM_LANDMARKS, 4), np.float32)
    lm[:, :3] = _scaled(image["xyz"], IMAGE_SCALE)
    vis = image["vis"].astype(np.float32)
    lm[:, 3] = np.where(vis == 255, np.nan, vis / 250.0)
    if not np.isfinite(presence) or not 0.0 <= presence <= 1.0:
        raise WireError("the pose presence must be within 0..1")
    return PoseResult(0, lm, _scaled(world["xyz"], WORLD_SCALE_M), width, height,
                      max(presence, 1e-6))


def _scaled(values: np.ndarray, scale: float) -> np.ndarray:
    out = values.astype(np.float32) / np.float32(scale)
    out[values == MISSING] = np.nan
    return out


def pack_frame(frame: LandmarkFrame) -> bytes:
    """The binary message of ``frame`` (what the page sends; used by tests and benchmarks)."""
    pose = frame.pose
    found = pose.detected
    head = HEADER.pack(FORMAT_VERSION, int(found), pose.image_width_px, pose.image_height_px, 0,
                       frame.seq, frame.dropped, frame.t_ms,
                       pose.presence if found else 0.0, frame.page_ms)
    if not found:
        return head
    image = np.zeros(NUM_LANDMARKS, _IMAGE)
    image["xyz"] = _quantised(pose.landmarks[:, :3], IMAGE_SCALE)
    vis = pose.landmarks[:, 3]
    image["vis"] = np.where(np.isfinite(vis), np.round(np.clip(vis, 0, 1) * 250), 255)
    world = np.zeros(NUM_LANDMARKS, _WORLD)
    world["xyz"] = _quantised(pose.world_landmarks, WORLD_SCALE_M)
    return head + image.tobytes() + world.tobytes()


def _quantised(values: np.ndarray, scale: float) -> np.ndarray:
    q = np.clip(np.round(np.nan_to_num(values, nan=0.0) * scale), -32767, 32767)
    return np.where(np.isfinite(values), q, MISSING).astype("<i2")


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hello(_Message):
    type: Literal["hello"]
    token: str = Field(min_length=8, max_length=200)
    session_id: uuid.UUID | None = None


class Pain(_Message):
    type: Literal["pain"]
    seq: int = Field(ge=0)
    value: int = Field(ge=0, le=10)


class Simple(_Message):
    type: Literal["skip_pain", "next", "stop", "tick"]
    seq: int = Field(ge=0)


Control = Annotated[Hello | Pain | Simple, Field(discriminator="type")]
_CONTROL: TypeAdapter[Hello | Pain | Simple] = TypeAdapter(Control)


def parse_control(text: str) -> Hello | Pain | Simple:
    """A text message.

    Raises:
        WireError: not JSON, an unknown type, or a bad field (the message says which).
    """
    return validated_json(_CONTROL, text, WireError)


def validated_json(adapter: TypeAdapter[M], text: str, error: type[HepvisionError],
                   what: str = "message") -> M:
    """``text`` (JSON) as ``adapter``'s type, or ``error`` naming the first bad field."""
    try:
        return adapter.validate_json(text)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "message"
        raise error(f"bad {what}: {where}: {err['msg']}") from None
