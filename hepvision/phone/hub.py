"""Phone sessions in progress, today's program of a device's patient, and storing records.

The hub is the one place the phone path touches the server's data layer: it resolves device
tokens (:func:`hepvision.server.data.accounts.resolve_token`), reads the current prescription,
and stores a finished session through :func:`hepvision.server.data.sessions.ingest`, the
function the upload route calls: a phone session is stored exactly like an upload from that
device (idempotent by session id).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hepvision.app.replies import describe_plan, summary_reply
from hepvision.errors import HepvisionError
from hepvision.live.prescribed import prescribed_program
from hepvision.live.program import Program
from hepvision.phone.analysis import PhoneSession
from hepvision.server.core.security import Security
from hepvision.server.data import accounts, prescriptions
from hepvision.server.data import sessions as stored_sessions
from hepvision.server.errors import AuthError, NotFoundError
from hepvision.server.models import Patient
from hepvision.session.serialize import upload_record
from hepvision.wire.prescription import Prescription

log = logging.getLogger(__name__)

#: A session nobody has sent anything to for this long is ended and stored as it is.
IDLE_S = 15 * 60.0
#: How many stored sessions are remembered for a page that reconnects after its end.
STORED_KEPT = 256


class PhoneError(HepvisionError):
    """A phone request that cannot be served (bad token, no prescription); the message says
    why and is shown to the patient."""


def device_patient(db: Session, security: Security, token: str) -> Patient:
    """The patient of a device token.

    Raises:
        PhoneError: unknown, expired or revoked token, or not a device's token.
    """
    try:
        principal = accounts.resolve_token(db, security, token)
    except AuthError as exc:
        raise PhoneError(f"this phone is not enrolled any more ({exc}): ask your therapist "
                         "for a new enrolment code") from None
    if principal.kind != "device" or principal.patient_id is None:
        raise PhoneError("a device token is required (enrol this phone with a code)")
    patient = db.get(Patient, principal.patient_id)
    if patient is None:
        raise PhoneError("the patient of this phone no longer exists")
    return patient


def today_program(db: Session, patient: Patient) -> Program:
    """Today's plans of the patient's current prescription (in the patient's time zone).

    Raises:
        PhoneError: no prescription yet, or one this server's templates cannot run.
    """
    try:
        row = prescriptions.current(db, patient.id)
    except NotFoundError:
        raise PhoneError("your therapist has not prescribed exercises yet") from None
    prescription = Prescription.model_validate(prescriptions.to_public(row).model_dump())
    today = datetime.now(ZoneInfo(patient.timezone)).date()
    try:
        return prescribed_program(prescription, today)
    except HepvisionError as exc:
        raise PhoneError(f"today's program cannot run: {exc}") from None


def describe_program(program: Program) -> dict[str, Any]:
    """What the page shows before a session: each plan with its camera set-up."""
    return {"version": program.prescription_version,
            "plans": [describe_plan(p) for p in program.plans]}


class PhoneHub:
    """The phone sessions of one server process, by session id.

    Args:
        sessionmaker: opens a database session (the server's).
        idle_s: a session idle this long is ended and stored by the next :meth:`sweep`.
    """

    def __init__(self, sessionmaker: Callable[[], Session], idle_s: float = IDLE_S) -> None:
        self.sessionmaker = sessionmaker
        self.idle_s = idle_s
        self.sessions: dict[uuid.UUID, PhoneSession] = {}
        #: summaries of stored sessions, for a page that reconnects after the end was sent
        self.stored: dict[uuid.UUID, dict[str, Any]] = {}

    def open(self, patient: Patient, program: Program) -> PhoneSession:
        session = PhoneSession(patient.id, program.plans, program.prescription_version)
        self.sessions[session.session_id] = session
        log.info("phone session %s started for patient %d", session.session_id, patient.id)
        return session

    def resume(self, patient: Patient, session_id: uuid.UUID) -> PhoneSession:
        """The session ``session_id`` of this patient.

        Raises:
            PhoneError: no such session in progress (ended, or the server restarted).
        """
        session = self.sessions.get(session_id)
        if session is None or session.patient_id != patient.id:
            done = self.stored.get(session_id)
            if done is not None and done["patient_id"] == patient.id:
                return done["session"]  # type: ignore[no-any-return]
            raise PhoneError("that session is no longer in progress on the server")
        return session

    def store(self, session: PhoneSession, reason: str = "connection lost") -> dict[str, Any]:
        """End ``session`` (if its flow is not done yet) and store its record once; returns
        the ``summary`` reply."""
        record = session.finish(reason)
        upload = upload_record(record)
        if not session.stored:
            with self.sessionmaker() as db:
                patient = db.get(Patient, session.patient_id)
                if patient is None:
                    raise PhoneError("the patient of this session no longer exists")
                created = stored_sessions.ingest(db, patient, upload)
            session.stored = True
            self.sessions.pop(session.session_id, None)
            log.info("phone session %s stored (%s, %d reps)", record.session_id,
                     "new" if created else "already there", record.total_reps)
        summary = summary_reply(record, session.live.flow.status())
        self.stored[record.session_id] = {"patient_id": session.patient_id, "session": session}
        while len(self.stored) > STORED_KEPT:
            self.stored.pop(next(iter(self.stored)))
        return summary

    def sweep(self) -> None:
        """End and store the sessions nobody has sent anything to for :attr:`idle_s`."""
        now = time.monotonic()
        for session in [s for s in self.sessions.values() if now - s.touched_s > self.idle_s]:
            try:
                self.store(session, "connection lost")
            except (HepvisionError, ValueError) as exc:
                log.error("idle phone session %s could not be stored: %s",
                          session.session_id, exc)
                self.sessions.pop(session.session_id, None)
