"""What the therapist asks about a patient: trends, adherence, pain, findings, CSV.

Alerts are in :mod:`.alerts`, the RTM ledger in :mod:`.rtm`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from hepvision.server.api.deps import DayQ, OwnedPatientDep, SessionDep, TherapistDep
from hepvision.server.api.responses import unprocessable
from hepvision.server.data import audit, reports
from hepvision.server.models import Patient, Therapist
from hepvision.server.schemas import (
    AdherenceRow,
    FindingCounts,
    PainPoint,
    RomPoint,
)

router = APIRouter(prefix="/patients/{patient_id}", tags=["reports"])
SLUG = r"^[a-z0-9][a-z0-9_\-]*$"

StartQ = Annotated[DayQ, Query(description="first day (patient-local), inclusive")]
EndQ = Annotated[DayQ, Query(description="last day (patient-local), inclusive")]


def _log(db: SessionDep, therapist: Therapist, patient: Patient, what: str) -> None:
    audit.read(db, actor_kind="therapist", actor_id=therapist.id, resource=what,
               patient_id=patient.id, therapist_id=therapist.id)


@router.get("/rom-trend", response_model=list[RomPoint])
def rom_trend(patient: OwnedPatientDep, therapist: TherapistDep, db: SessionDep,
              exercise_id: Annotated[str | None, Query(max_length=64, pattern=SLUG)] = None,
              angle_name: Annotated[str | None, Query(max_length=64, pattern=SLUG)] = None,
              start: StartQ = None, end: EndQ = None,
              limit: Annotated[int, Query(ge=1, le=5000)] = 1000) -> list[RomPoint]:
    """Best and median peak ROM (degrees) per session for an exercise and joint, over time."""
    out = reports.rom_trend(db, patient, exercise_id=exercise_id, angle_name=angle_name,
                            start=start, end=end, limit=limit)
    _log(db, therapist, patient, "rom_trend")
    return out


@router.get("/adherence", response_model=list[AdherenceRow])
def adherence(patient: OwnedPatientDep, therapist: TherapistDep, db: SessionDep,
              period: Literal["day", "week"] = "week", start: StartQ = None,
              end: EndQ = None) -> list[AdherenceRow]:
    """Sessions and reps done against prescribed, per day or week (default: last 4 weeks)."""
    end = end or reports.local_today(patient)
    start = start or end - timedelta(days=27)
    if start > end or (end - start).days > 366:
        raise unprocessable("start must be before end and at most 366 days apart",
                            ("query", "start"))
    out = reports.adherence(db, patient, period=period, start=start, end=end)
    _log(db, therapist, patient, "adherence")
    return out


@router.get("/pain-trend", response_model=list[PainPoint])
def pain_trend(patient: OwnedPatientDep, therapist: TherapistDep, db: SessionDep,
               start: StartQ = None, end: EndQ = None) -> list[PainPoint]:
    out = reports.pain_trend(db, patient, start=start, end=end)
    _log(db, therapist, patient, "pain_trend")
    return out


@router.get("/findings", response_model=list[FindingCounts])
def findings(patient: OwnedPatientDep, therapist: TherapistDep, db: SessionDep,
             start: StartQ = None, end: EndQ = None) -> list[FindingCounts]:
    """Form-finding counts per session and exercise, by severity and by rule."""
    out = reports.finding_counts(db, patient, start=start, end=end)
    _log(db, therapist, patient, "findings")
    return out


@router.get("/export.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def export_csv(patient: OwnedPatientDep, therapist: TherapistDep, db: SessionDep,
               start: StartQ = None, end: EndQ = None) -> Response:
    """One row per session and exercise (columns in ``reports.CSV_COLUMNS``)."""
    body = "".join(reports.export_csv(db, patient, start=start, end=end))
    _log(db, therapist, patient, "export_csv")
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="patient-{patient.id}-sessions.csv"'})
