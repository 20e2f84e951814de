"""Database tables (SQLAlchemy 2, typed). The Alembic history in ``migrations/`` creates them.

Times are stored in UTC (``UTCDateTime`` refuses naive datetimes and returns aware ones on
every backend). ``day`` columns are the patient's local calendar date.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Therapist(Base):
    __tablename__ = "therapists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # login lockout (hepvision.server.data.lockout; migration 0005)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_failed_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Patient(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("therapists.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    external_ref: Mapped[str | None] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    monitoring_start: Mapped[date | None] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Alert thresholds of this patient; NULL: the default (see data/alerts.py).
    alert_pain_nrs: Mapped[int | None] = mapped_column(SmallInteger)
    alert_rom_drop_deg: Mapped[float | None] = mapped_column(Float)
    alert_missed_days: Mapped[int | None] = mapped_column(SmallInteger)

    therapist: Mapped[Therapist] = relationship()


class EnrolmentCode(Base):
    __tablename__ = "enrolment_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuthToken(Base):
    """A therapist access token (expiring) or a device token (scoped to one patient)."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # "therapist" | "device"
    therapist_id: Mapped[int | None] = mapped_column(ForeignKey("therapists.id"), index=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Prescription(Base):
    """One version of a patient's program; versions are never changed, only added."""

    __tablename__ = "prescriptions"
    __table_args__ = (UniqueConstraint("patient_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int] = mapped_column(ForeignKey("therapists.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)


class ExerciseSession(Base):
    """One uploaded session; ``id`` is the client-generated session id (idempotency key)."""

    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_patient_started", "patient_id", "started_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    prescription_version: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    day: Mapped[date] = mapped_column(Date)
    duration_s: Mapped[float] = mapped_column(Float)
    pain_before: Mapped[int | None] = mapped_column(SmallInteger)
    pain_after: Mapped[int | None] = mapped_column(SmallInteger)
    stopped_early: Mapped[bool] = mapped_column(Boolean)
    total_reps: Mapped[int] = mapped_column(Integer)
    app_version: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    record_digest: Mapped[str] = mapped_column(String(64))
    record: Mapped[dict[str, Any]] = mapped_column(JSON)


class SessionExercise(Base):
    """Per-exercise summary of a session, denormalised for trend queries."""

    __tablename__ = "session_exercises"
    __table_args__ = (
        Index("ix_session_exercises_trend", "patient_id", "exercise_id", "angle_name",
              "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    day: Mapped[date] = mapped_column(Date)
    position: Mapped[int] = mapped_column(SmallInteger)
    exercise_id: Mapped[str] = mapped_column(String(64))
    angle_name: Mapped[str] = mapped_column(String(64))
    side: Mapped[str | None] = mapped_column(String(8))
    view: Mapped[str] = mapped_column(String(16))
    sets_done: Mapped[int] = mapped_column(Integer)
    reps_done: Mapped[int] = mapped_column(Integer)
    partial_reps: Mapped[int] = mapped_column(Integer)
    rom_best_deg: Mapped[float | None] = mapped_column(Float)
    rom_median_deg: Mapped[float | None] = mapped_column(Float)
    hold_s: Mapped[float] = mapped_column(Float)
    findings_info: Mapped[int] = mapped_column(Integer)
    findings_caution: Mapped[int] = mapped_column(Integer)
    findings_stop: Mapped[int] = mapped_column(Integer)
    findings_by_rule: Mapped[dict[str, int]] = mapped_column(JSON)


class TransmissionDay(Base):
    """RTM ledger: one row per uploaded session, keyed to the patient-local day of its data."""

    __tablename__ = "transmission_days"
    __table_args__ = (
        UniqueConstraint("session_id"),
        Index("ix_transmission_days_patient_day", "patient_id", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    day: Mapped[date] = mapped_column(Date)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(32))
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id"))


class AuditEntry(Base):
    """Who read or changed what, and when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_patient_at", "patient_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(16))  # therapist | device | cli | anonymous
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    resource: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    patient_id: Mapped[int | None] = mapped_column(Integer)
    therapist_id: Mapped[int | None] = mapped_column(Integer, index=True)
    detail: Mapped[str] = mapped_column(String(200), default="")


class AlertAck(Base):
    """A therapist acknowledged an alert: it stays hidden until its condition recurs.

    ``kind`` and ``subject`` name the alert (``subject``: the exercise and angle of a ROM drop,
    the exercise of a stop finding, empty for pain and missed sessions); ``since`` is the
    moment the acknowledged occurrence began. An alert whose occurrence began after ``at`` is
    shown again.
    """

    __tablename__ = "alert_acks"
    __table_args__ = (Index("ix_alert_acks_patient_kind", "patient_id", "kind", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(160), default="")
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("therapists.id"))
    note: Mapped[str] = mapped_column(String(500), default="")
    message: Mapped[str] = mapped_column(String(200), default="")


class RtmTimeEntry(Base):
    """Treatment-management time (RTM 98980/98981/98979): minutes a therapist spent on a
    patient's monitoring on ``day`` (the clinic's calendar day), and whether it included a
    live interactive communication with the patient."""

    __tablename__ = "rtm_time_entries"
    __table_args__ = (Index("ix_rtm_time_entries_patient_day", "patient_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    therapist_id: Mapped[int] = mapped_column(ForeignKey("therapists.id"))
    day: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(SmallInteger)
    live_contact: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
