"""FHIR R4 resources for the patient, the program and the app: one function per resource.

Each function returns a resource as a JSON-ready dict; ``tests/test_fhir_export.py`` validates
every one with ``fhir.resources`` (R4B models) and ``fhirclient`` (R4 4.0.1 models).

- ``Patient``: only what the clinic entered (display name, clinic record number, active).
- ``CarePlan``: one per prescription version (its version in an identifier); a replaced
  version is ``revoked`` with its period ended by the next one, and the next ``replaces`` it.
- ``ServiceRequest``: one per prescribed exercise of a version; SNOMED CT 229065009 "Exercise
  therapy" with the exercise in ``orderDetail``; frequency in ``occurrenceTiming``; the dose
  in words in ``patientInstruction`` and, machine-readable, in the local ``exercise-dosage``
  extension (FHIR has no element for sets, repetitions or hold).
- ``Device``: the hepvision app, one per app version that uploaded sessions.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hepvision.server import schedule
from hepvision.server.fhir import codes
from hepvision.server.fhir.codes import Code
from hepvision.server.models import Patient, Prescription
from hepvision.server.schemas import PrescribedExercise, PrescriptionCreate

_DAY_CODES = {1: "mon", 2: "tue", 3: "wed", 4: "thu", 5: "fri", 6: "sat", 7: "sun"}


@dataclass(frozen=True, slots=True)
class Ids:
    """Stable resource ids: UUIDv5 of a key under a per-server namespace."""

    namespace: uuid.UUID

    def id(self, *key: object) -> str:
        return str(uuid.uuid5(self.namespace, "/".join(str(k) for k in key)))

    def ref(self, *key: object) -> dict[str, str]:
        return {"reference": f"urn:uuid:{self.id(*key)}"}


def instant(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def exercise_code(exercise_id: str, names: Mapping[str, str]) -> Code:
    return Code(codes.EXERCISE_SYSTEM, exercise_id, names.get(exercise_id, exercise_id))


def patient_resource(patient: Patient, ids: Ids) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "Patient", "id": ids.id("patient", patient.id),
        "active": patient.is_active, "name": [{"text": patient.display_name}]}
    if patient.external_ref:
        out["identifier"] = [{"use": "usual", "type": codes.MRN.concept(),
                              "value": patient.external_ref}]
    return out


def _status(current: bool, patient: Patient) -> str:
    if not current:
        return "revoked"
    return "active" if patient.is_active else "completed"


def _period(start: datetime, end: datetime | None) -> dict[str, str]:
    out = {"start": instant(start)}
    if end is not None:
        out["end"] = instant(end)
    return out


def care_plan(row: Prescription, following: Prescription | None, patient: Patient,
              ids: Ids) -> dict[str, Any]:
    """The program of one prescription version; ``following``: the version that replaced it."""
    body = PrescriptionCreate.model_validate(row.body)
    out: dict[str, Any] = {
        "resourceType": "CarePlan", "id": ids.id("careplan", patient.id, row.version),
        "identifier": [{"system": codes.PRESCRIPTION_SYSTEM,
                        "value": f"{patient.id}/v{row.version}"}],
        "status": _status(following is None, patient), "intent": "plan",
        "category": [codes.EXERCISE_THERAPY.concept()],
        "title": f"Home exercise program, version {row.version}",
        "subject": ids.ref("patient", patient.id),
        "period": _period(row.created_at, following.created_at if following else None),
        "created": instant(row.created_at),
        "activity": [{"reference": ids.ref("servicerequest", patient.id, row.version, i)}
                     for i in range(len(body.exercises))]}
    if row.version > 1:
        out["replaces"] = [ids.ref("careplan", patient.id, row.version - 1)]
    notes = [*body.precautions, *([body.notes] if body.notes.strip() else [])]
    if notes:
        out["note"] = [{"text": n} for n in notes]
    return out


def _timing(entry: PrescribedExercise, start: datetime,
            end: datetime | None) -> dict[str, Any]:
    repeat: dict[str, Any] = {"boundsPeriod": _period(start, end),
                              "frequency": entry.sessions_per_day, "period": 1,
                              "periodUnit": "d"}
    if entry.days_per_week < 7:
        repeat["dayOfWeek"] = [_DAY_CODES[d] for d in schedule.weekdays(entry)]
    return {"repeat": repeat}


def instruction(entry: PrescribedExercise, name: str) -> str:
    """The prescribed dose in words, with its progression and precautions."""
    base = schedule.dose_on(entry, 0)
    text = [(f"{name}: {schedule.dose_text(entry, base)}; {entry.sessions_per_day} "
             f"session(s) a day, {entry.days_per_week} day(s) a week.")]
    for step in sorted(entry.progression, key=lambda s: s.after_days):
        dose = schedule.dose_on(entry, step.after_days)
        text.append(f"From day {step.after_days}: {schedule.dose_text(entry, dose)}"
                    + (f" ({step.note})" if step.note else "") + ".")
    if entry.overrides.pain_stop_nrs is not None:
        text.append(f"Stop if pain reaches {entry.overrides.pain_stop_nrs}/10.")
    text.extend(entry.precautions)
    return " ".join(text)


def _dosage_extension(entry: PrescribedExercise) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [
        {"url": "sets", "valueInteger": entry.sets},
        {"url": "repetitions", "valueInteger": entry.reps},
        {"url": "hold", "valueQuantity": codes.ucum(entry.hold_s, "s")}]
    if entry.rest_s is not None:
        parts.append({"url": "rest", "valueQuantity": codes.ucum(entry.rest_s, "s")})
    if entry.side is not None:
        parts.append({"url": "side", "valueCode": entry.side})
    over = entry.overrides
    if over.target_rom_deg is not None:
        parts.append({"url": "targetRom", "valueQuantity": codes.ucum(over.target_rom_deg,
                                                                      "deg")})
    if over.pain_stop_nrs is not None:
        parts.append({"url": "painStop", "valueInteger": over.pain_stop_nrs})
    return {"url": codes.DOSAGE_EXTENSION, "extension": parts}


def service_requests(row: Prescription, following: Prescription | None, patient: Patient,
                     ids: Ids, names: Mapping[str, str]) -> list[dict[str, Any]]:
    """One ``ServiceRequest`` per prescribed exercise of the version."""
    body = PrescriptionCreate.model_validate(row.body)
    end = following.created_at if following else None
    out = []
    for i, entry in enumerate(body.exercises):
        exercise = exercise_code(entry.exercise_id, names)
        out.append({
            "resourceType": "ServiceRequest",
            "id": ids.id("servicerequest", patient.id, row.version, i),
            "identifier": [{"system": codes.PRESCRIPTION_SYSTEM,
                            "value": f"{patient.id}/v{row.version}/{i + 1}"}],
            "extension": [_dosage_extension(entry)],
            "basedOn": [ids.ref("careplan", patient.id, row.version)],
            "status": _status(following is None, patient), "intent": "order",
            "code": codes.EXERCISE_THERAPY.concept(),
            "orderDetail": [exercise.concept()],
            "subject": ids.ref("patient", patient.id),
            "occurrenceTiming": _timing(entry, row.created_at, end),
            "authoredOn": instant(row.created_at),
            "patientInstruction": instruction(entry, exercise.display)})
    return out


def device(app_version: str, current: bool, patient: Patient, ids: Ids) -> dict[str, Any]:
    """The hepvision app at ``app_version`` (the software that measured the sessions)."""
    return {
        "resourceType": "Device", "id": ids.id("device", patient.id, app_version),
        "status": "active" if current else "inactive",
        "deviceName": [{"name": "hepvision", "type": "model-name"}],
        "type": {"text": "Home exercise tracking app (camera, video pose estimation)"},
        "version": [{"value": app_version}],
        "patient": ids.ref("patient", patient.id)}

