"""The device's enrolment and local paths.

The data dir is ``$HEPVISION_HOME`` or ``~/.local/share/hepvision``; it holds ``device.json``
(server URL, device token, patient id; mode 0600) and ``outbox.sqlite3``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from hepvision.upload.errors import NotEnrolledError, UploadError


def data_dir(home: str | Path | None = None) -> Path:
    """``home``, else ``$HEPVISION_HOME``, else ``~/.local/share/hepvision``."""
    if home is not None:
        return Path(home)
    env = os.environ.get("HEPVISION_HOME")
    return Path(env).expanduser() if env else Path.home() / ".local" / "share" / "hepvision"


@dataclass(frozen=True, slots=True)
class DeviceConfig:
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
            raise UploadError(f"{path} is damaged ({exc}); enrol again") from None

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
