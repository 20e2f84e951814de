"""The ``/api/v1`` router."""

from fastapi import APIRouter

from hepvision.server.api.responses import ERROR_RESPONSES
from hepvision.server.api.routes import (
    alerts,
    audit,
    auth,
    fhir,
    health,
    patient_data,
    patients,
    prescriptions,
    progress,
    reports,
    rtm,
    sessions,
    therapists,
)

API_PREFIX = "/api/v1"
#: Routes that answer without a token; every other route requires one (tests enforce it).
PUBLIC_PATHS = frozenset({f"{API_PREFIX}/health", f"{API_PREFIX}/auth/login",
                          f"{API_PREFIX}/devices/enrol"})

#: Every route documents the error bodies it may answer with (hepvision.server.api.responses).
api_router = APIRouter(prefix=API_PREFIX, responses=ERROR_RESPONSES)
for module in (health, auth, patients, prescriptions, sessions, reports, audit, fhir,
               patient_data):
    api_router.include_router(module.router)
for module in (alerts, rtm, progress):  # RTM, alerts and progress reports (issue 14)
    api_router.include_router(module.router)
api_router.include_router(therapists.router)  # lockouts and passwords (issue 15)
