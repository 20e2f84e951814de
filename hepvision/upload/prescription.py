"""The device's copy of its current prescription, pulled from the server at each sync.

``prescription.json`` in the data dir holds the newest version the server served
(``GET /patients/{id}/prescriptions/current``), written atomically. A device keeps its last
copy while offline; a server with no prescription yet leaves the file absent. A damaged copy
(not JSON, or no version) is set aside with a one-line warning and read as absent, so the next
sync fetches the prescription again.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hepvision.upload.client import ServerClient
from hepvision.upload.device import data_dir
from hepvision.upload.errors import UploadError
from hepvision.upload.recovery import quarantine, write_atomically
from hepvision.wire.prescription import Prescription

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PullResult:
    """``version`` now held on the device (``None``: none yet); ``changed``: a new one came."""

    version: int | None
    changed: bool


def prescription_path(home: str | Path | None = None) -> Path:
    return data_dir(home) / "prescription.json"


def load_prescription(home: str | Path | None = None) -> dict[str, Any] | None:
    """The saved prescription, or ``None`` when the device has none or its copy was damaged
    (then set aside as ``prescription.json.damaged-<time>``, with a warning)."""
    path = prescription_path(home)
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError as exc:  # not UTF-8 or not JSON (a truncated write)
        problem = f"not JSON: {exc}"
    else:
        if isinstance(value, dict) and isinstance(value.get("version"), int):
            return value
        problem = "no prescription version in it"
    kept = quarantine(path)
    log.warning("%s is damaged (%s): set aside as %s; 'hepvision sync' fetches the "
                "prescription again", path, problem, kept.name if kept else "(already gone)")
    return None


def read_prescription(home: str | Path | None = None) -> Prescription | None:
    """The saved prescription, typed; ``None`` when the device has none (or a damaged copy,
    set aside as :func:`load_prescription` does).

    Raises:
        UploadError: the copy is JSON but not a prescription this version can run (one line,
            naming the field).
    """
    raw = load_prescription(home)
    if raw is None:
        return None
    try:
        return Prescription.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "prescription"
        raise UploadError(f"{prescription_path(home)}: prescription version {raw['version']} "
                          f"cannot be run: {where}: {err['msg']}") from None


def discard_prescription(home: str | Path | None = None) -> Path | None:
    """Set the saved prescription aside (another patient's enrolment replaces this one)."""
    return quarantine(prescription_path(home), label="previous-enrolment")


def pull_prescription(client: ServerClient, patient_id: int, *,
                      home: str | Path | None = None) -> PullResult:
    """Fetch the current prescription and save it when its version differs from the saved one.

    Raises ``TransportError`` (offline), ``DeviceRevokedError`` (401/403), ``UploadError``.
    """
    saved = load_prescription(home)
    saved_version = saved["version"] if saved else None
    current = client.current_prescription(patient_id)
    if current is None:
        return PullResult(saved_version, False)
    version = current.get("version")
    if not isinstance(version, int):
        raise UploadError("the server's prescription has no version")
    if version == saved_version and current == saved:
        return PullResult(version, False)
    write_atomically(prescription_path(home),
                     json.dumps(current, indent=2, sort_keys=True))
    return PullResult(version, True)
