"""Small request/response bodies the device exchanges with the server, and the enrolment QR.

The therapist's enrolment page shows the one-time code, the text
``hepvision://enrol?server=<URL, percent-encoded>&code=<CODE>`` (:func:`enrolment_uri`) and a
QR code of the patient page's link ``<URL>/phone/#code=<CODE>`` (:func:`phone_enrolment_url`:
the phone's camera opens it; the code stays in the fragment, which browsers never send);
``hepvision enroll`` takes any of the three (:func:`parse_enrolment`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal
from urllib.parse import parse_qs, quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field


class EnrolmentRequest(BaseModel):
    """A device presents the one-time code its therapist gave the patient."""

    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, Field(min_length=4, max_length=64)]
    device_label: Annotated[str, Field(max_length=100)] = ""


class EnrolmentResponse(BaseModel):
    """The device token (shown once) and the one patient it is scoped to."""

    device_token: str
    patient_id: int
    monitoring_start: date | None = None


class SessionAccepted(BaseModel):
    """The server's answer to a session upload: ``created`` false means it was a retry."""

    session_id: uuid.UUID
    created: bool
    status: Literal["stored"] = "stored"


ENROLMENT_URI_PREFIX = "hepvision://enrol"
#: Where the patient page lives on the server (hepvision.phone).
PHONE_PATH = "/phone/"


def enrolment_uri(server_url: str, code: str) -> str:
    """The text of the enrolment QR code: the server's address and the one-time code."""
    return f"{ENROLMENT_URI_PREFIX}?server={quote(server_url, safe='')}&code={quote(code)}"


def phone_enrolment_url(server_url: str, code: str) -> str:
    """The patient page's link with the one-time code (the enrolment QR code's text)."""
    return f"{server_url.rstrip('/')}{PHONE_PATH}#code={quote(code)}"


@dataclass(frozen=True, slots=True)
class EnrolmentInvite:
    """What the patient was given: the code, and the server when it came from the QR code."""

    code: str
    server_url: str | None


def parse_enrolment(text: str) -> EnrolmentInvite:
    """A bare code (``ABCD-EFGH-JKMN``), the ``hepvision://enrol`` text (:func:`enrolment_uri`)
    or the QR code's patient page link (:func:`phone_enrolment_url`).

    Raises ``ValueError`` with a one-line reason for a ``hepvision:`` text that is not an
    enrolment QR code, or a link without a code.
    """
    text = text.strip()
    if text.lower().startswith(("http://", "https://")):
        return _phone_invite(text)
    if not text.lower().startswith("hepvision:"):
        return EnrolmentInvite(code=text, server_url=None)
    parts = urlsplit(text)
    if (parts.netloc or parts.path.strip("/")).lower() != "enrol":
        raise ValueError(f"not an enrolment QR code: {text!r}")
    query = parse_qs(parts.query)
    codes, servers = query.get("code", []), query.get("server", [])
    if len(codes) != 1 or len(servers) > 1:
        raise ValueError(f"the enrolment QR code needs one code and at most one server: "
                         f"{text!r}")
    return EnrolmentInvite(code=codes[0].strip(), server_url=servers[0] if servers else None)


def _phone_invite(text: str) -> EnrolmentInvite:
    parts = urlsplit(text)
    codes = parse_qs(parts.fragment).get("code", [])
    if not parts.path.endswith(PHONE_PATH) or len(codes) != 1:
        raise ValueError(f"not an enrolment link (…{PHONE_PATH}#code=…): {text!r}")
    base = parts.path[: -len(PHONE_PATH)]
    return EnrolmentInvite(code=codes[0].strip(), server_url=f"{parts.scheme}://{parts.netloc}{base}")
