"""Login, logout, who am I, and device enrolment."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, HTTPException, Response, status

from hepvision.server.api.deps import PrincipalDep, SecurityDep, SessionDep, SettingsDep
from hepvision.server.data import accounts
from hepvision.server.errors import AuthError
from hepvision.server.schemas import LoginRequest, MePublic, TherapistPublic, TokenPublic
from hepvision.wire.enrolment import EnrolmentRequest, EnrolmentResponse

router = APIRouter(tags=["auth"])


@router.post("/auth/login", response_model=TokenPublic)
def login(body: LoginRequest, db: SessionDep, sec: SecurityDep,
          settings: SettingsDep) -> TokenPublic:
    """Exchange a therapist's email and password for an expiring access token."""
    try:
        issued = accounts.login(db, sec, email=body.email, password=body.password,
                                lifetime=timedelta(minutes=settings.access_token_minutes))
    except AuthError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc)) from None
    assert issued.expires_at is not None
    return TokenPublic(access_token=issued.token, expires_at=issued.expires_at)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(principal: PrincipalDep, db: SessionDep) -> Response:
    """Revoke the presented token (a therapist's session or a device)."""
    accounts.revoke_token(db, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/auth/me", response_model=MePublic)
def me(principal: PrincipalDep) -> MePublic:
    therapist = (TherapistPublic.model_validate(principal.therapist)
                 if principal.therapist else None)
    return MePublic(kind=principal.kind, therapist=therapist, patient_id=principal.patient_id)


@router.post("/devices/enrol", response_model=EnrolmentResponse,
             status_code=status.HTTP_201_CREATED)
def enrol(body: EnrolmentRequest, db: SessionDep, sec: SecurityDep) -> EnrolmentResponse:
    """Exchange a one-time enrolment code for a device token scoped to that one patient."""
    try:
        token, patient = accounts.enrol_device(db, sec, code=body.code, label=body.device_label)
    except AuthError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc)) from None
    return EnrolmentResponse(device_token=token, patient_id=patient.id,
                             monitoring_start=patient.monitoring_start)
