"""The WebSocket protocol between the page and the local pipeline (one session per socket).

Page -> server:

- **frame** (binary message): ``uint32`` little-endian header length ``N``, then ``N`` bytes
  of UTF-8 JSON :class:`FrameHeader`, then the JPEG. The page sends the next frame only
  after the reply to the previous one arrived, so latency never builds up; frames the camera
  delivered meanwhile are counted in ``dropped``.
- **control** (text message, JSON, :data:`Control`): ``start`` (which exercise), ``pain``
  (0-10), ``skip_pain``, ``next`` (end the set / skip the rest), ``stop`` (end the session
  early), ``tick`` (advance the rest timer), ``source_ended`` (the camera stopped).

Server -> page (text, JSON, every message has ``type``):

- ``session`` (reply to ``start``): the plans, the skeleton edges, the status.
- ``result`` (reply to a processed frame): ``landmarks`` (33 x ``[x, y, visibility]``,
  normalised to the image, ``null`` entries where not measurable, or ``null`` when nobody
  is in view), ``reps``, ``signal_value``, ``signal_unit``, ``state``, ``view``,
  ``setup_message``, ``cue``, ``status`` (``SessionFlow.status()``), ``latency_ms``
  (capture to feedback, as the server sees it) and ``pose_ms``.
- ``skipped`` (reply to a frame that was not processed: no set running, or older than the
  last one): ``reason`` and ``status``.
- ``status`` (reply to a control message); ``summary`` once the session is over and saved;
  ``error`` (``message``) for a bad message. Errors never close the socket.
"""

from __future__ import annotations

import json
import math
import struct
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from hepvision.errors import HepvisionError
from hepvision.phone.wire import validated_json

_HEADER_LEN = struct.Struct("<I")
MAX_HEADER_BYTES = 4096


class ProtocolError(HepvisionError):
    """A message the page sent does not follow the protocol."""


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FrameHeader(_Message):
    """Metadata of one frame message.

    Attributes:
        seq: the page's frame number (echoed in the reply).
        t_ms: capture time, milliseconds on the page's ``performance.now()`` clock.
        sent_ms: when the page sent it, same clock (``sent_ms - t_ms`` is the time the
            frame spent in the page: drawing and JPEG encoding).
        dropped: frames the camera delivered that the page did not send, so far (cumulative).
    """

    seq: int = Field(ge=0)
    t_ms: float = Field(ge=0.0, allow_inf_nan=False)
    sent_ms: float = Field(ge=0.0, allow_inf_nan=False)
    dropped: int = Field(0, ge=0)


class Start(_Message):
    type: Literal["start"]
    exercise: str | None = Field(None, max_length=64)


class Pain(_Message):
    type: Literal["pain"]
    value: int = Field(ge=0, le=10)


class Simple(_Message):
    type: Literal["skip_pain", "next", "stop", "tick", "source_ended"]


Control = Annotated[Start | Pain | Simple, Field(discriminator="type")]
_CONTROL = TypeAdapter(Control)


def parse_control(text: str) -> Start | Pain | Simple:
    """A control message from its JSON text.

    Raises:
        ProtocolError: not JSON, an unknown type, or a bad field (the message says which).
    """
    return validated_json(_CONTROL, text, ProtocolError, "control message")


def parse_frame(data: bytes, max_bytes: int) -> tuple[FrameHeader, bytes]:
    """Split a frame message into its header and JPEG bytes.

    Raises:
        ProtocolError: too large, truncated, or a bad header.
    """
    if len(data) > max_bytes:
        raise ProtocolError(f"frame message of {len(data)} bytes is over {max_bytes}")
    if len(data) < _HEADER_LEN.size:
        raise ProtocolError("frame message too short")
    (n,) = _HEADER_LEN.unpack_from(data)
    if n > MAX_HEADER_BYTES or _HEADER_LEN.size + n > len(data):
        raise ProtocolError("frame header length out of range")
    raw = data[_HEADER_LEN.size:_HEADER_LEN.size + n]
    try:
        header = FrameHeader.model_validate_json(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "header"
        raise ProtocolError(f"bad frame header: {where}: {err['msg']}") from None
    return header, data[_HEADER_LEN.size + n:]


def pack_frame(header: FrameHeader, jpeg: bytes) -> bytes:
    """A frame message (what the page sends; used by tests and the benchmark)."""
    raw = header.model_dump_json().encode()
    return _HEADER_LEN.pack(len(raw)) + raw + jpeg


def landmarks_json(landmarks: np.ndarray, detected: bool) -> list[list[float | None]] | None:
    """(33, 4) landmarks -> 33 x [x, y, visibility], rounded; None entries where NaN."""
    if not detected:
        return None
    out = []
    for x, y, _z, v in landmarks.tolist():
        out.append([_num(x, 4), _num(y, 4), _num(v, 3)])
    return out


def _num(v: float, digits: int) -> float | None:
    return round(v, digits) if math.isfinite(v) else None


def number(v: float | None, digits: int = 2) -> float | None:
    """A JSON-safe float: NaN and infinities become None."""
    return None if v is None else _num(float(v), digits)


def dumps(message: dict[str, Any]) -> str:
    """Strict JSON (a NaN is a bug: it must have been turned into None)."""
    return json.dumps(message, allow_nan=False, separators=(",", ":"))
