"""Wire schemas shared by the upload client and the therapist server.

Pydantic models only: this package imports nothing from the pipeline and nothing from the
server, so both sides (and a third-party client) can depend on it.

- :mod:`hepvision.wire.session`: the session record a device uploads (schema version "1").
- :mod:`hepvision.wire.enrolment`: the enrolment exchange (one-time code -> device token).
- :mod:`hepvision.wire.track`: build a session record from a ``hepvision track`` report.
"""

from hepvision.wire.enrolment import EnrolmentRequest, EnrolmentResponse, SessionAccepted
from hepvision.wire.session import (
    SCHEMA_VERSION,
    ExerciseRecord,
    Finding,
    Hold,
    Repetition,
    SessionRecord,
    SetRecord,
)
from hepvision.wire.track import session_record_from_track_report

__all__ = [
    "SCHEMA_VERSION",
    "EnrolmentRequest",
    "EnrolmentResponse",
    "ExerciseRecord",
    "Finding",
    "Hold",
    "Repetition",
    "SessionAccepted",
    "SessionRecord",
    "SetRecord",
    "session_record_from_track_report",
]
