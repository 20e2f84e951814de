"""Therapist accounts: locked logins (see and clear), and changing one's own password.

There is no administrator role: every therapist of the server may see which accounts are
locked and unlock one (a colleague whose account a password guesser locked); both are audited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response, status

from hepvision.server.api.deps import PrincipalDep, SecurityDep, SessionDep, TherapistDep
from hepvision.server.data import accounts, lockout
from hepvision.server.errors import AuthError
from hepvision.server.models import Therapist
from hepvision.server.schemas import PasswordChange, TherapistLockPublic

router = APIRouter(tags=["therapists"])
TherapistIdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/therapists/locked", response_model=list[TherapistLockPublic])
def locked(therapist: TherapistDep, db: SessionDep) -> list[TherapistLockPublic]:
    """Accounts locked after repeated failed logins."""
    return [TherapistLockPublic.model_validate(t) for t in lockout.locked_accounts(db)]


@router.post("/therapists/{therapist_id}/unlock", response_model=TherapistLockPublic)
def unlock(therapist_id: TherapistIdPath, therapist: TherapistDep,
           db: SessionDep) -> TherapistLockPublic:
    """Clear an account's lockout and failure count (audited)."""
    target = db.get(Therapist, therapist_id)
    if target is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "therapist not found")
    lockout.unlock(db, target, actor_kind="therapist", actor_id=therapist.id)
    return TherapistLockPublic.model_validate(target)


@router.post("/auth/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(body: PasswordChange, principal: PrincipalDep, therapist: TherapistDep,
                    db: SessionDep, sec: SecurityDep) -> Response:
    """Change the caller's password (the current one is asked again); other sessions of the
    account are signed out. Audited."""
    try:
        accounts.change_password(db, sec, therapist, current=body.current_password,
                                 new=body.new_password, keep_token_id=principal.token_id)
    except AuthError as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)
