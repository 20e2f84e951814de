"""Calendar feed tokens: the secret in a patient's subscribable calendar URL.

A phone calendar subscribing to a URL sends no ``Authorization`` header, so the feed is
authorised by an unguessable token in its URL (``hvc_`` + 256 random bits). The token is
shown once, when issued; the database keeps only its HMAC (purpose ``calendar``, so it can
never match a bearer token's digest) in ``auth_tokens`` with kind ``calendar``. Issuing a new
one revokes the old (rotation: a leaked URL stops working); revoking stops the feed. The
therapist or the patient's own device may do either; both are audited, and so is every read
of the feed.
"""

from __future__ import annotations

import secrets
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from hepvision.server.core.security import Security
from hepvision.server.data import audit
from hepvision.server.errors import AuthError
from hepvision.server.models import AuthToken, Patient, utcnow

FEED_TOKEN_PREFIX = "hvc_"
FEED_KIND = "calendar"
_PURPOSE = "calendar"


def _revoke(db: Session, patient_id: int) -> int:
    result = cast(CursorResult[Any], db.execute(
        update(AuthToken).where(AuthToken.patient_id == patient_id,
                                AuthToken.kind == FEED_KIND, AuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())))
    return int(result.rowcount)


def issue(db: Session, sec: Security, patient: Patient, *, actor_kind: str, actor_id: int,
          therapist_id: int | None) -> str:
    """A new feed token for ``patient``; any earlier one stops working."""
    revoked = _revoke(db, patient.id)
    token = FEED_TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.add(AuthToken(token_digest=sec.digest(_PURPOSE, token), kind=FEED_KIND,
                     patient_id=patient.id, label="calendar feed"))
    audit.record(db, actor_kind=actor_kind, actor_id=actor_id, action="rotate",
                 resource="calendar_feed", patient_id=patient.id, therapist_id=therapist_id,
                 detail=f"{revoked} earlier feed(s) revoked")
    db.commit()
    return token


def revoke(db: Session, patient: Patient, *, actor_kind: str, actor_id: int,
           therapist_id: int | None) -> int:
    """Stop the patient's feed; the number of tokens revoked (0 or 1)."""
    revoked = _revoke(db, patient.id)
    audit.record(db, actor_kind=actor_kind, actor_id=actor_id, action="revoke",
                 resource="calendar_feed", patient_id=patient.id, therapist_id=therapist_id,
                 detail=f"{revoked} feed(s)")
    db.commit()
    return revoked


def patient_of(db: Session, sec: Security, patient_id: int, token: str) -> Patient:
    """The patient whose live feed ``token`` is; ``AuthError`` for anything else (unknown,
    revoked, another patient's, a care that has ended)."""
    row = db.scalar(select(AuthToken).where(AuthToken.token_digest == sec.digest(_PURPOSE, token),
                                            AuthToken.kind == FEED_KIND))
    if row is None or row.revoked_at is not None or row.patient_id != patient_id:
        raise AuthError("unknown or revoked calendar feed")
    patient = db.get(Patient, patient_id)
    if patient is None:
        raise AuthError("unknown or revoked calendar feed")
    return patient
