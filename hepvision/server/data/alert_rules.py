"""The alert thresholds of a patient: their own, else the prescription's, else the server's.

- pain stop (0-10 NRS): the patient's setting; else the lowest pain stop of the exercises of
  the current prescription (each exercise's ``overrides.pain_stop_nrs``, else its template's
  ``precautions.pain_stop_nrs``: the value that stops the set on the device); else the
  server's ``pain_alert_threshold``;
- ROM drop (degrees): the patient's setting, else the server's ``rom_drop_alert_deg``;
- missed sessions (days): the patient's setting, else ``DEFAULT_MISSED_DAYS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hepvision.server.core.config import Settings
from hepvision.server.data import audit
from hepvision.server.models import Patient, Prescription, Therapist
from hepvision.server.schemas import (
    AlertSettingSource,
    AlertSettingsPublic,
    AlertSettingsUpdate,
    PrescribedExercise,
)
from hepvision.templates import list_templates, load_template

#: Days without a session after which a ``missed`` alert is raised, unless set per patient.
DEFAULT_MISSED_DAYS = 3


@dataclass(frozen=True, slots=True)
class AlertDefaults:
    """The server-wide thresholds (from :class:`Settings`)."""

    pain_stop_nrs: int
    rom_drop_deg: float
    missed_days: int = DEFAULT_MISSED_DAYS

    @classmethod
    def from_settings(cls, settings: Settings) -> AlertDefaults:
        return cls(pain_stop_nrs=settings.pain_alert_threshold,
                   rom_drop_deg=settings.rom_drop_alert_deg)


@dataclass(frozen=True, slots=True)
class AlertRules:
    """The thresholds in force for one patient."""

    pain_stop_nrs: int
    rom_drop_deg: float
    missed_days: int


def current_prescriptions(db: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The body of each patient's newest prescription version (patients without one: absent)."""
    newest = (select(Prescription.patient_id, func.max(Prescription.version).label("v"))
              .where(Prescription.patient_id.in_(ids)).group_by(Prescription.patient_id)
              .subquery())
    rows = db.execute(select(Prescription.patient_id, Prescription.body)
                      .join(newest, (newest.c.patient_id == Prescription.patient_id)
                            & (newest.c.v == Prescription.version)))
    return {pid: body for pid, body in rows}


def prescription_pain_stop(body: dict[str, Any] | None) -> int | None:
    """The lowest pain stop of the prescribed exercises (override, else template)."""
    if not body:
        return None
    stops = []
    for raw in body.get("exercises", []):
        ex = PrescribedExercise.model_validate(raw)
        stop = ex.overrides.pain_stop_nrs
        stops.append(stop if stop is not None else _template_pain_stop(ex.exercise_id))
    found = [s for s in stops if s is not None]
    return min(found) if found else None


@cache
def _template_pain_stop(template_id: str) -> int | None:
    """The template's pain stop (``None``: no such template on this server)."""
    if template_id not in list_templates():
        return None
    return load_template(template_id).precautions.pain_stop_nrs


def rules_of(patient: Patient, prescription: dict[str, Any] | None,
             defaults: AlertDefaults) -> tuple[AlertRules, AlertSettingsPublic]:
    """The patient's thresholds, and the same with where each comes from."""
    pain_source: AlertSettingSource = "patient"
    pain = patient.alert_pain_nrs
    if pain is None:
        pain = prescription_pain_stop(prescription)
        pain_source = "prescription"
    if pain is None:
        pain, pain_source = defaults.pain_stop_nrs, "default"
    rom = patient.alert_rom_drop_deg
    missed = patient.alert_missed_days
    public = AlertSettingsPublic(
        pain_stop_nrs=pain, pain_stop_source=pain_source,
        rom_drop_deg=rom if rom is not None else defaults.rom_drop_deg,
        rom_drop_source="patient" if rom is not None else "default",
        missed_days=missed if missed is not None else defaults.missed_days,
        missed_days_source="patient" if missed is not None else "default")
    return AlertRules(public.pain_stop_nrs, public.rom_drop_deg, public.missed_days), public


def settings_of(db: Session, patient: Patient, defaults: AlertDefaults) -> AlertSettingsPublic:
    return rules_of(patient, current_prescriptions(db, [patient.id]).get(patient.id),
                    defaults)[1]


def update_settings(db: Session, therapist: Therapist, patient: Patient,
                    data: AlertSettingsUpdate) -> None:
    """Set all three thresholds (``None``: back to the default); audited."""
    patient.alert_pain_nrs = data.pain_stop_nrs
    patient.alert_rom_drop_deg = data.rom_drop_deg
    patient.alert_missed_days = data.missed_days

    def show(v: object) -> str:
        return "default" if v is None else f"{v:g}" if isinstance(v, float) else str(v)

    audit.record(db, actor_kind="therapist", actor_id=therapist.id, action="update",
                 resource="alert_settings", resource_id=patient.id, patient_id=patient.id,
                 therapist_id=therapist.id,
                 detail=f"pain_stop_nrs={show(data.pain_stop_nrs)} "
                        f"rom_drop_deg={show(data.rom_drop_deg)} "
                        f"missed_days={show(data.missed_days)}")
    db.commit()
