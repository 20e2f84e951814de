"""Dependencies: settings, database session, the caller, and the access checks.

Access rules (every route uses exactly one of these):

- ``TherapistDep``: a therapist token; a device token gets 403.
- ``OwnedPatientDep``: a therapist token and ``patient_id`` one of *their* patients; another
  therapist's patient is 404 (no existence leak).
- ``DevicePatientDep``: the device token of *this* ``patient_id``; anything else 403/404.
- ``ReadablePatientDep``: the patient's own therapist or the patient's own device.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from datetime import date
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from hepvision.server.core.config import Settings
from hepvision.server.core.security import Security
from hepvision.server.data import accounts
from hepvision.server.data.accounts import Principal
from hepvision.server.errors import AuthError, NotFoundError
from hepvision.server.models import Patient, Therapist

_bearer = HTTPBearer(auto_error=False, description="therapist access token or device token")


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_security(request: Request) -> Security:
    return request.app.state.security


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.sessionmaker() as session:
        yield session


def get_template_ids(request: Request) -> Collection[str] | None:
    """The exercise ids the server knows (``None``: any id; tests only)."""
    source: Callable[[], Collection[str] | None] = request.app.state.template_ids
    return source()


SettingsDep = Annotated[Settings, Depends(get_settings)]
TemplateIdsDep = Annotated[Collection[str] | None, Depends(get_template_ids)]
#: A day in a query (``as_of``, ``start``, ``end``): within the years the server accepts.
DayQ = Annotated[date | None, Query(ge=date(2000, 1, 1), le=date(2099, 12, 31))]
SecurityDep = Annotated[Security, Depends(get_security)]
SessionDep = Annotated[Session, Depends(get_db)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail,
                         headers={"WWW-Authenticate": "Bearer"})


def get_principal(db: SessionDep, sec: SecurityDep,
                  creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
                  ) -> Principal:
    if creds is None or creds.scheme.lower() != "bearer":
        raise _unauthorized("not authenticated")
    try:
        return accounts.resolve_token(db, sec, creds.credentials)
    except AuthError as exc:
        raise _unauthorized(str(exc)) from None


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_therapist(principal: PrincipalDep) -> Therapist:
    if principal.therapist is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a therapist token is required")
    return principal.therapist


TherapistDep = Annotated[Therapist, Depends(get_therapist)]
PatientIdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


def get_owned_patient(patient_id: PatientIdPath, therapist: TherapistDep,
                      db: SessionDep) -> Patient:
    try:
        return accounts.owned_patient(db, therapist, patient_id)
    except NotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


OwnedPatientDep = Annotated[Patient, Depends(get_owned_patient)]


def get_device_patient(patient_id: PatientIdPath, principal: PrincipalDep,
                       db: SessionDep) -> Patient:
    if principal.kind != "device":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a device token is required")
    if principal.patient_id != patient_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this device belongs to another patient")
    patient = db.get(Patient, patient_id)
    if patient is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "patient not found")
    return patient


DevicePatientDep = Annotated[Patient, Depends(get_device_patient)]


def get_readable_patient(patient_id: PatientIdPath, principal: PrincipalDep,
                         db: SessionDep) -> Patient:
    if principal.therapist is not None:
        return get_owned_patient(patient_id, principal.therapist, db)
    return get_device_patient(patient_id, principal, db)


ReadablePatientDep = Annotated[Patient, Depends(get_readable_patient)]
