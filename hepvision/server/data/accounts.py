"""Therapists, patients, tokens and enrolment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hepvision.server.core.security import (
    DEVICE_TOKEN_PREFIX,
    THERAPIST_TOKEN_PREFIX,
    Security,
)
from hepvision.server.data import audit, lockout
from hepvision.server.errors import AuthError, ConflictError, InvalidInputError, NotFoundError
from hepvision.server.models import AuthToken, EnrolmentCode, Patient, Therapist, utcnow
from hepvision.server.schemas import PatientCreate, PatientUpdate


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a therapist, or a device scoped to one patient."""

    kind: Literal["therapist", "device"]
    token_id: int
    therapist: Therapist | None = None
    patient_id: int | None = None

    @property
    def actor_id(self) -> int:
        return self.therapist.id if self.therapist else int(self.patient_id or 0)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime | None


# ---- therapists ---------------------------------------------------------------------------

def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_therapist(db: Session, sec: Security, *, email: str, password: str,
                     full_name: str = "") -> Therapist:
    if len(password) < 8:
        raise InvalidInputError("password must have at least 8 characters")
    email = normalise_email(email)
    if db.scalar(select(Therapist.id).where(Therapist.email == email)) is not None:
        raise ConflictError(f"a therapist with email {email} already exists")
    therapist = Therapist(email=email, full_name=full_name,
                          password_hash=sec.hash_password(password))
    db.add(therapist)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise ConflictError(f"a therapist with email {email} already exists") from None
    audit.record(db, actor_kind="cli", actor_id=None, action="create", resource="therapist",
                 resource_id=therapist.id, therapist_id=therapist.id)
    db.commit()
    return therapist


def therapist_by_email(db: Session, email: str) -> Therapist:
    therapist = db.scalar(select(Therapist).where(Therapist.email == normalise_email(email)))
    if therapist is None:
        raise NotFoundError(f"no therapist with email {normalise_email(email)}")
    return therapist


def login(db: Session, sec: Security, *, email: str, password: str, lifetime: timedelta,
          address: str = "local", limiter: lockout.AddressLimiter | None = None
          ) -> IssuedToken:
    """A therapist token for the right email and password (:mod:`.lockout`: the limits).

    The password hash is checked with no database transaction open (on SQLite every
    transaction holds the write lock), and each write after it is one short transaction.
    Raises :class:`AuthError`, or :class:`TooManyAttemptsError` while a backoff lasts.
    """
    now, email = utcnow(), normalise_email(email)
    if limiter is not None:
        limiter.check(address, now)
    row = db.execute(select(Therapist.id, Therapist.password_hash, Therapist.is_active,
                            Therapist.locked_at, Therapist.failed_logins,
                            Therapist.last_failed_login_at)
                     .where(Therapist.email == email)).one_or_none()
    db.rollback()  # end the read before the slow hash
    if row is not None and row.locked_at is not None:
        _failed(db, limiter, address, now, email, row.id, action="login_refused_locked")
        raise AuthError("this account is locked after repeated failed logins; another "
                        "therapist can unlock it (their Account page), or an administrator "
                        "with 'hepvision therapist unlock EMAIL'")
    if row is not None:
        lockout.check_account(row.failed_logins, row.last_failed_login_at, now)
    ok = sec.verify_password(row.password_hash if row else None, password)
    if not ok or row is None or not row.is_active:
        _failed(db, limiter, address, now, email, row.id if row else None)
        raise AuthError("wrong email or password")
    token, digest = sec.new_token(THERAPIST_TOKEN_PREFIX)
    expires_at = now + lifetime
    lockout.reset(db, row.id)
    db.add(AuthToken(token_digest=digest, kind="therapist", therapist_id=row.id,
                     expires_at=expires_at, label="login"))
    audit.record(db, actor_kind="therapist", actor_id=row.id, action="login",
                 resource="therapist", resource_id=row.id, therapist_id=row.id)
    db.commit()
    return IssuedToken(token, expires_at)


def _failed(db: Session, limiter: lockout.AddressLimiter | None, address: str, now: datetime,
            email: str, therapist_id: int | None, action: str = "login_failed") -> None:
    """Count a failed login against the address and the account, and audit it."""
    if limiter is not None:
        limiter.failure(address, now)
    if therapist_id is not None and action == "login_failed":
        lockout.record_failure(db, therapist_id, now)
    audit.record(db, actor_kind="anonymous", actor_id=None, action=action,
                 resource="therapist", resource_id=therapist_id, therapist_id=therapist_id,
                 detail=f"{email[:160]} from {address[:60]}")
    db.commit()


def change_password(db: Session, sec: Security, therapist: Therapist, *, current: str,
                    new: str, keep_token_id: int | None = None) -> None:
    """Set a new password after checking the current one (hashes run outside transactions);
    every other login token of the account is revoked. Audited."""
    stored = therapist.password_hash
    db.rollback()
    if not sec.verify_password(stored, current):
        raise AuthError("the current password is wrong")
    set_password(db, sec, therapist, new, actor_kind="therapist", actor_id=therapist.id,
                 keep_token_id=keep_token_id)


def set_password(db: Session, sec: Security, therapist: Therapist, password: str, *,
                 actor_kind: str, actor_id: int | None, keep_token_id: int | None = None
                 ) -> None:
    """Store a new password hash (``hepvision therapist reset-password`` and the above)."""
    if len(password) < 8:
        raise InvalidInputError("password must have at least 8 characters")
    digest = sec.hash_password(password)
    therapist.password_hash = digest
    db.execute(update(AuthToken).where(AuthToken.therapist_id == therapist.id,
                                       AuthToken.kind == "therapist",
                                       AuthToken.revoked_at.is_(None),
                                       AuthToken.id != (keep_token_id or 0))
               .values(revoked_at=utcnow()))
    audit.record(db, actor_kind=actor_kind, actor_id=actor_id, action="change_password",
                 resource="therapist", resource_id=therapist.id, therapist_id=therapist.id)
    db.commit()


def resolve_token(db: Session, sec: Security, token: str) -> Principal:
    """The principal of a bearer token; ``AuthError`` when unknown, expired or revoked."""
    row = db.scalar(select(AuthToken).where(AuthToken.token_digest == sec.token_digest(token)))
    now = utcnow()
    if row is None or row.revoked_at is not None or (
            row.expires_at is not None and row.expires_at <= now):
        raise AuthError("invalid or expired token")
    if row.kind == "therapist":
        therapist = db.get(Therapist, row.therapist_id)
        if therapist is None or not therapist.is_active:
            raise AuthError("invalid or expired token")
        return Principal("therapist", row.id, therapist=therapist)
    if row.kind != "device":  # e.g. a calendar feed token: never a bearer token
        raise AuthError("invalid or expired token")
    patient = db.get(Patient, row.patient_id)
    if patient is None or not patient.is_active:
        raise AuthError("invalid or expired token")
    return Principal("device", row.id, patient_id=patient.id)


def revoke_token(db: Session, principal: Principal) -> None:
    db.execute(update(AuthToken).where(AuthToken.id == principal.token_id)
               .values(revoked_at=utcnow()))
    audit.record(db, actor_kind=principal.kind, actor_id=principal.actor_id, action="logout",
                 resource="token", resource_id=principal.token_id,
                 therapist_id=principal.therapist.id if principal.therapist else None,
                 patient_id=principal.patient_id)
    db.commit()


# ---- patients -----------------------------------------------------------------------------

def create_patient(db: Session, sec: Security, therapist: Therapist, data: PatientCreate, *,
                   code_lifetime: timedelta, actor_kind: str = "therapist"
                   ) -> tuple[Patient, IssuedToken]:
    patient = Patient(therapist_id=therapist.id, **data.model_dump())
    db.add(patient)
    db.flush()
    code = _new_code(db, sec, patient, code_lifetime)
    audit.record(db, actor_kind=actor_kind, actor_id=therapist.id, action="create",
                 resource="patient", resource_id=patient.id, patient_id=patient.id,
                 therapist_id=therapist.id)
    db.commit()
    return patient, code


def list_patients(db: Session, therapist: Therapist) -> list[Patient]:
    return list(db.scalars(select(Patient).where(Patient.therapist_id == therapist.id)
                           .order_by(Patient.id)))


def owned_patient(db: Session, therapist: Therapist, patient_id: int) -> Patient:
    """The therapist's own patient; ``NotFoundError`` for anyone else's (no existence leak)."""
    patient = db.get(Patient, patient_id)
    if patient is None or patient.therapist_id != therapist.id:
        raise NotFoundError("patient not found")
    return patient


def update_patient(db: Session, therapist: Therapist, patient: Patient,
                   data: PatientUpdate) -> Patient:
    changes = data.model_dump(exclude_unset=True)
    for key, value in changes.items():
        setattr(patient, key, value)
    audit.record(db, actor_kind="therapist", actor_id=therapist.id, action="update",
                 resource="patient", resource_id=patient.id, patient_id=patient.id,
                 therapist_id=therapist.id, detail=",".join(sorted(changes)))
    db.commit()
    return patient


def new_enrolment_code(db: Session, sec: Security, therapist: Therapist, patient: Patient, *,
                       lifetime: timedelta) -> IssuedToken:
    """A fresh one-time code; earlier unused codes of the patient stop working."""
    db.execute(update(EnrolmentCode).where(EnrolmentCode.patient_id == patient.id,
                                           EnrolmentCode.used_at.is_(None))
               .values(used_at=utcnow()))
    code = _new_code(db, sec, patient, lifetime)
    audit.record(db, actor_kind="therapist", actor_id=therapist.id, action="create",
                 resource="enrolment_code", patient_id=patient.id, therapist_id=therapist.id)
    db.commit()
    return code


def unused_code(db: Session, sec: Security, patient: Patient, code: str) -> IssuedToken | None:
    """``code`` with its expiry if it is an unused, unexpired code of ``patient``."""
    if not code:
        return None
    row = db.scalar(select(EnrolmentCode).where(
        EnrolmentCode.code_digest == sec.enrolment_digest(code),
        EnrolmentCode.patient_id == patient.id, EnrolmentCode.used_at.is_(None),
        EnrolmentCode.expires_at > utcnow()))
    return IssuedToken(code, row.expires_at) if row is not None else None


def _new_code(db: Session, sec: Security, patient: Patient, lifetime: timedelta) -> IssuedToken:
    code, digest = sec.new_enrolment_code()
    expires_at = utcnow() + lifetime
    db.add(EnrolmentCode(patient_id=patient.id, code_digest=digest, expires_at=expires_at))
    return IssuedToken(code, expires_at)


def enrol_device(db: Session, sec: Security, *, code: str, label: str) -> tuple[str, Patient]:
    """Exchange a one-time code for a device token scoped to its patient."""
    now = utcnow()
    row = db.scalar(select(EnrolmentCode)
                    .where(EnrolmentCode.code_digest == sec.enrolment_digest(code)))
    if row is None or row.used_at is not None or row.expires_at <= now:
        audit.record(db, actor_kind="anonymous", actor_id=None, action="enrol_failed",
                     resource="enrolment_code")
        db.commit()
        raise AuthError("unknown, used or expired enrolment code")
    # Claim the code atomically: of two concurrent exchanges only one updates the row.
    # An UPDATE's result is a CursorResult (it has rowcount); Session.execute is typed Result.
    claimed = cast(CursorResult[Any], db.execute(
        update(EnrolmentCode)
        .where(EnrolmentCode.id == row.id, EnrolmentCode.used_at.is_(None))
        .values(used_at=now))).rowcount
    if claimed != 1:
        db.rollback()
        raise AuthError("unknown, used or expired enrolment code")
    patient = db.get(Patient, row.patient_id)
    assert patient is not None
    if patient.monitoring_start is None:
        patient.monitoring_start = _local_today(patient)
    token, digest = sec.new_token(DEVICE_TOKEN_PREFIX)
    db.add(AuthToken(token_digest=digest, kind="device", patient_id=patient.id,
                     label=label[:100]))
    audit.record(db, actor_kind="device", actor_id=patient.id, action="enrol",
                 resource="device", patient_id=patient.id)
    db.commit()
    return token, patient


def revoke_devices(db: Session, therapist: Therapist, patient: Patient) -> int:
    count = cast(CursorResult[Any], db.execute(
        update(AuthToken).where(AuthToken.patient_id == patient.id,
                                AuthToken.kind == "device",
                                AuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()))).rowcount
    audit.record(db, actor_kind="therapist", actor_id=therapist.id, action="revoke",
                 resource="device", patient_id=patient.id, therapist_id=therapist.id,
                 detail=f"{count} device(s)")
    db.commit()
    return int(count)


def device_count(db: Session, patient_id: int) -> int:
    return int(db.scalar(select(func.count()).select_from(AuthToken)
                         .where(AuthToken.patient_id == patient_id,
                                AuthToken.kind == "device",
                                AuthToken.revoked_at.is_(None))) or 0)


def _local_today(patient: Patient) -> date:
    from zoneinfo import ZoneInfo

    return utcnow().astimezone(ZoneInfo(patient.timezone)).date()
