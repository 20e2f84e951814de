"""The device's enrolment and local paths.

The data dir is ``$HEPVISION_HOME`` or ``~/.local/share/hepvision``; it holds ``device.json``
(server URL, device token, patient id; mode 0600), ``outbox.sqlite3``, ``prescription.json``
and ``sessions/`` (one JSON file per saved session).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from hepvision.upload.errors import NotEnrolledError, UploadError


def data_dir(home: str | Path | None = None) -> Path:
    """``home``, else ``$HEPVISION_HOME``, else ``~/.local/share/hepvision``."""
    if home is not None:
        return Path(home)
    env = os.environ.get("HEPVISION_HOME")
    return Path(env).expanduser() if env else Path.home() / ".local" / "share" / "hepvision"


def sessions_dir(home: str | Path | None = None) -> Path:
    """Where ``live`` and ``app`` save session records, and where every queued session is kept."""
    return data_dir(home) / "sessions"


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    """The enrolment. ``enrolled_at`` (ISO 8601) is when this device was first enrolled for
    this patient on this server; sessions started before it are never queued for them."""

    server_url: str
    device_token: str
    patient_id: int
    enrolled_at: str

    @staticmethod
    def path(home: str | Path | None = None) -> Path:
        return data_dir(home) / "device.json"

    @classmethod
    def load(cls, home: str | Path | None = None) -> DeviceConfig:
        """The saved enrolment; ``NotEnrolledError`` when there is none."""
        path = cls.path(home)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(server_url=str(raw["server_url"]), device_token=str(raw["device_token"]),
                       patient_id=int(raw["patient_id"]), enrolled_at=str(raw["enrolled_at"]))
        except FileNotFoundError:
            raise NotEnrolledError("this device is not enrolled: run "
                                   "'hepvision enroll CODE --server URL'") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise UploadError(f"{path} is damaged ({exc}); ask your therapist for a new "
                              "enrolment code and run 'hepvision enroll --force CODE'") from None

    def enrolled_since(self) -> datetime | None:
        """``enrolled_at`` as a timezone-aware time; ``None`` when it is not one (a hand-made
        file), and then no saved session is excluded by its age."""
        try:
            when = datetime.fromisoformat(self.enrolled_at)
        except ValueError:
            return None
        return when if when.tzinfo is not None else None

    def same_enrolment(self, other: DeviceConfig) -> bool:
        """Same server and same patient (a re-enrolment after a revoked token)."""
        return (self.server_url, self.patient_id) == (other.server_url, other.patient_id)

    @classmethod
    def exists(cls, home: str | Path | None = None) -> bool:
        return cls.path(home).is_file()

    def save(self, home: str | Path | None = None) -> Path:
        """Write atomically with mode 0600 (the token is a credential)."""
        path = self.path(home)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(asdict(self), fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
        return path
