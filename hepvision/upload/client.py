"""Typed calls to the server's ``/api/v1`` over a :class:`Transport`."""

from __future__ import annotations

import enum
import json
import logging
from dataclasses import dataclass
from typing import Any

from hepvision.upload.errors import DeviceRevokedError, EnrolmentError, UploadError
from hepvision.upload.transport import Request, Response, Transport
from hepvision.wire.enrolment import EnrolmentRequest, EnrolmentResponse

API = "/api/v1"
log = logging.getLogger(__name__)


class Outcome(enum.Enum):
    STORED = "stored"          # 201: the server stored it now
    DUPLICATE = "duplicate"    # 200: the server had it already (a retry)
    REJECTED = "rejected"      # 409/413/422 and other 4xx: retrying will not help
    RETRY = "retry"            # 5xx, 429, 408: try again later


@dataclass(frozen=True, slots=True)
class UploadResult:
    outcome: Outcome
    status: int
    message: str = ""


def normalise_server_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise UploadError(f"server URL must start with http:// or https://: {url!r}")
    if url.endswith(API):
        url = url[: -len(API)]
    return url


def is_cleartext_remote(url: str) -> bool:
    """True for ``http://`` to a host that is not this machine (the patient's data and the
    device token would cross the network unencrypted)."""
    import ipaddress
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme != "http":
        return False
    host = (parts.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def require_secure(url: str, *, insecure: bool) -> None:
    """Refuse cleartext HTTP to another machine unless the patient passed ``--insecure``
    (then warn): the server should be reached over https:// (README: Run it for a clinic)."""
    if not is_cleartext_remote(url):
        return
    message = (f"{url} is plain http:// to another machine: health data and the device "
               "token would cross the network unencrypted")
    if not insecure:
        raise UploadError(f"{message}; use the server's https:// address, or pass "
                          "--insecure to send anyway (a test network only)")
    log.warning("%s (--insecure given)", message)


def revoked(response: Response) -> DeviceRevokedError:
    """What a device whose token the server refuses is told to do."""
    return DeviceRevokedError(
        f"the server no longer accepts this device (HTTP {response.status}: "
        f"{response.detail()}); ask your therapist for a new enrolment code, then run "
        "'hepvision enroll --force CODE' (sessions stay queued)")


class ServerClient:
    """One server, one transport, optionally one device token."""

    def __init__(self, server_url: str, transport: Transport, *, token: str | None = None,
                 timeout_s: float = 30.0) -> None:
        self.base = normalise_server_url(server_url) + API
        self.transport = transport
        self.token = token
        self.timeout_s = timeout_s

    def _send(self, method: str, path: str, body: bytes | None = None) -> Response:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.transport.request(Request(method, self.base + path, headers, body),
                                      timeout_s=self.timeout_s)

    def enrol(self, code: str, *, label: str = "") -> EnrolmentResponse:
        body = EnrolmentRequest(code=code, device_label=label).model_dump_json().encode()
        r = self._send("POST", "/devices/enrol", body)
        if r.status in (401, 422):
            raise EnrolmentError(f"the server refused the enrolment code ({r.detail()}): "
                                 "ask your therapist for a new code")
        if r.status != 201:
            raise UploadError(f"enrolment failed: HTTP {r.status} {r.detail()}")
        return EnrolmentResponse.model_validate(r.json())

    def upload_session(self, patient_id: int, record_json: bytes) -> UploadResult:
        """Send one session record (already-validated JSON). Raises ``TransportError``."""
        r = self._send("POST", f"/patients/{patient_id}/sessions", record_json)
        if r.status == 201:
            return UploadResult(Outcome.STORED, r.status)
        if r.status == 200:
            return UploadResult(Outcome.DUPLICATE, r.status)
        if r.status in (401, 403):
            raise revoked(r)
        if r.status in (408, 425, 429) or r.status >= 500:
            return UploadResult(Outcome.RETRY, r.status, r.detail())
        return UploadResult(Outcome.REJECTED, r.status, r.detail())

    def current_prescription(self, patient_id: int) -> dict[str, Any] | None:
        r = self._send("GET", f"/patients/{patient_id}/prescriptions/current")
        if r.status == 404:
            return None
        if r.status in (401, 403):
            raise revoked(r)
        if r.status != 200:
            raise UploadError(f"HTTP {r.status}: {r.detail()}")
        value = r.json()
        return value if isinstance(value, dict) else json.loads("{}")
