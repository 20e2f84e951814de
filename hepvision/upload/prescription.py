"""The device's copy of its current prescription, pulled from the server at each sync.

``prescription.json`` in the data dir holds the newest version the server served
(``GET /patients/{id}/prescriptions/current``), written atomically. A device keeps its last
copy while offline; a server with no prescription yet leaves the file absent.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hepvision.upload.client import ServerClient
from hepvision.upload.device import data_dir
from hepvision.upload.errors import UploadError


@dataclass(frozen=True, slots=True)
class PullResult:
    """``version`` now held on the device (``None``: none yet); ``changed``: a new one came."""

    version: int | None
    changed: bool


def prescription_path(home: str | Path | None = None) -> Path:
    return data_dir(home) / "prescription.json"


def load_prescription(home: str | Path | None = None) -> dict[str, Any] | None:
    """The saved prescription, or ``None`` when the device has none."""
    path = prescription_path(home)
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise UploadError(f"{path} is damaged ({exc}); run 'hepvision sync' again") from None
    return value if isinstance(value, dict) else None


def pull_prescription(client: ServerClient, patient_id: int, *,
                      home: str | Path | None = None) -> PullResult:
    """Fetch the current prescription and save it when its version differs from the saved one.

    Raises ``TransportError`` (offline), ``DeviceRevokedError`` (401/403), ``UploadError``.
    """
    saved = load_prescription(home)
    saved_version = saved.get("version") if saved else None
    current = client.current_prescription(patient_id)
    if current is None:
        return PullResult(saved_version, False)
    version = current.get("version")
    if not isinstance(version, int):
        raise UploadError("the server's prescription has no version")
    if version == saved_version and current == saved:
        return PullResult(version, False)
    path = prescription_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(current, fh, indent=2, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    return PullResult(version, True)
