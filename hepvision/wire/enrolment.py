"""Small request/response bodies the device exchanges with the server."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

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
