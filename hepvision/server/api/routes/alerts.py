"""Alerts of a patient, their acknowledgement, and the patient's alert thresholds.

The rules are :mod:`hepvision.server.data.alerts` (the dashboard shows the same alerts).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from hepvision.server.api.deps import (
    DayQ,
    OwnedPatientDep,
    SessionDep,
    SettingsDep,
    TherapistDep,
)
from hepvision.server.data import alert_rules, alerts, audit
from hepvision.server.data.alert_rules import AlertDefaults
from hepvision.server.errors import NotFoundError
from hepvision.server.schemas import (
    Alert,
    AlertAckCreate,
    AlertAckPublic,
    AlertSettingsPublic,
    AlertSettingsUpdate,
)

router = APIRouter(prefix="/patients/{patient_id}", tags=["alerts"])


@router.get("/alerts", response_model=list[Alert])
def list_alerts(patient: OwnedPatientDep, therapist: TherapistDep, db: SessionDep,
                settings: SettingsDep, as_of: DayQ = None,
                include_acknowledged: bool = False) -> list[Alert]:
    """Open alerts: pain at or above the patient's stop, stop findings, a ROM drop against the
    previous week, missed sessions. ``include_acknowledged``: also those a therapist closed
    (with the acknowledgement) while their condition lasts."""
    found = alerts.patient_alerts(db, patient, AlertDefaults.from_settings(settings),
                                  as_of=as_of)
    audit.read(db, actor_kind="therapist", actor_id=therapist.id, resource="alerts",
               patient_id=patient.id, therapist_id=therapist.id)
    return [a for a in found if include_acknowledged or a.acknowledged is None]


@router.post("/alerts/acknowledge", response_model=AlertAckPublic,
             status_code=status.HTTP_201_CREATED)
def acknowledge(body: AlertAckCreate, patient: OwnedPatientDep, therapist: TherapistDep,
                db: SessionDep, settings: SettingsDep) -> AlertAckPublic:
    """Close an open alert with a note (audited); it returns when its condition recurs."""
    try:
        row = alerts.acknowledge(db, therapist, patient, AlertDefaults.from_settings(settings),
                                 body)
    except NotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    return alerts.ack_public(row)


@router.get("/alert-settings", response_model=AlertSettingsPublic)
def get_alert_settings(patient: OwnedPatientDep, therapist: TherapistDep, db: SessionDep,
                       settings: SettingsDep) -> AlertSettingsPublic:
    """The thresholds in force for this patient and where each comes from."""
    out = alert_rules.settings_of(db, patient, AlertDefaults.from_settings(settings))
    audit.read(db, actor_kind="therapist", actor_id=therapist.id, resource="alert_settings",
               patient_id=patient.id, therapist_id=therapist.id)
    return out


@router.put("/alert-settings", response_model=AlertSettingsPublic)
def put_alert_settings(body: AlertSettingsUpdate, patient: OwnedPatientDep,
                       therapist: TherapistDep, db: SessionDep,
                       settings: SettingsDep) -> AlertSettingsPublic:
    """Set the patient's thresholds (a field left out or ``null``: the default); audited."""
    alert_rules.update_settings(db, therapist, patient, body)
    return alert_rules.settings_of(db, patient, AlertDefaults.from_settings(settings))
