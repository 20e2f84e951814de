"""Login, logout, who am I, and device enrolment."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request, Response, status

from hepvision.server.api.deps import PrincipalDep, SecurityDep, SessionDep, SettingsDep
from hepvision.server.data import accounts
from hepvision.server.errors import AuthError, TooManyAttemptsError
from hepvision.server.schemas import LoginRequest, MePublic, TherapistPublic, TokenPublic
from hepvision.wire.enrolment import EnrolmentRequest, EnrolmentResponse

router = APIRouter(tags=["auth"])


def client_address(request: Request) -> str:
    """The caller's address (the proxy's client when uvicorn trusts its X-Forwarded-For)."""
    return request.client.host if request.client else "unknown"


@router.post("/auth/login", response_model=TokenPublic)
def login(body: LoginRequest, db: SessionDep, sec: SecurityDep, settings: SettingsDep,
          request: Request) -> TokenPublic:
    """Exchange a therapist's email and password for an expiring access token.

    Failed logins are limited per address and per account (429 with ``Retry-After`` while a
    backoff lasts); repeated failures lock the account until a therapist unlocks it
    (``POST /therapists/{id}/unlock``)."""
    try:
        issued = accounts.login(db, sec, email=body.email, password=body.password,
                                lifetime=timedelta(minutes=settings.access_token_minutes),
                                address=client_address(request),
                                limiter=request.app.state.login_limiter)
    except TooManyAttemptsError as exc:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(exc),
                            headers={"Retry-After": str(exc.retry_after_s)}) from None
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
