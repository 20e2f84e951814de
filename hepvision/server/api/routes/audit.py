"""The audit log, as far as the calling therapist may see it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from hepvision.server.api.deps import SessionDep, TherapistDep
from hepvision.server.data import audit
from hepvision.server.schemas import AuditPublic

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=list[AuditPublic])
def audit_log(therapist: TherapistDep, db: SessionDep,
              patient_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[AuditPublic]:
    """Entries by the caller or about the caller's patients, newest first."""
    return [AuditPublic.model_validate(e)
            for e in audit.entries_for_therapist(db, therapist.id, limit=limit,
                                                 patient_id=patient_id)]
