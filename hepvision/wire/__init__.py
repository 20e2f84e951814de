"""Wire schemas shared by the upload client and the therapist server.

Pydantic models only: this package imports nothing from the pipeline and nothing from the
server, so both sides (and a third-party client) can depend on it.

- :mod:`hepvision.wire.session`: the session record a device uploads (schema version "1").
- :mod:`hepvision.wire.enrolment`: the enrolment exchange (one-time code -> device token).
- :mod:`hepvision.wire.prescription`: the prescription as a device reads it.

The device builds its upload record in one place, from its typed session record
(:func:`hepvision.session.serialize.upload_record`).
"""

from hepvision.wire.enrolment import EnrolmentRequest, EnrolmentResponse, SessionAccepted
from hepvision.wire.prescription import Prescription
from hepvision.wire.session import (
    SCHEMA_VERSION,
    CountCheck,
    ExerciseRecord,
    Finding,
    Hold,
    Repetition,
    SessionRecord,
    SetRecord,
    SideRom,
)

__all__ = [
    "SCHEMA_VERSION",
    "CountCheck",
    "EnrolmentRequest",
    "EnrolmentResponse",
    "ExerciseRecord",
    "Finding",
    "Hold",
    "Prescription",
    "Repetition",
    "SessionAccepted",
    "SessionRecord",
    "SetRecord",
    "SideRom",
]
