"""The patient's FHIR R4 ``Bundle`` (type ``collection``), assembled from the stored records.

Entries are identified by ``urn:uuid:`` full URLs; each resource's ``id`` is that UUID, a
UUIDv5 of what it stands for (``patient/7``, ``careplan/7/2``, ``observation/<session>/...``)
under a namespace derived from the server's secret key, so a second export of the same data
gives the same ids and two servers' exports never collide.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hepvision.server import schedule
from hepvision.server.core.security import Security
from hepvision.server.data.export import PatientRecords
from hepvision.server.fhir import resources
from hepvision.server.fhir.observations import SessionContext, session_observations
from hepvision.server.fhir.resources import Ids, instant
from hepvision.server.schemas import PrescriptionCreate
from hepvision.wire.session import SessionRecord


def id_namespace(server_digest: str) -> uuid.UUID:
    """The UUID namespace of a server, from a digest of its secret key (hex, >= 32 chars)."""
    return uuid.UUID(server_digest[:32])


def exercise_names(records: PatientRecords) -> dict[str, str]:
    """Display names of the exercises the records name (prescribed or performed)."""
    ids = {e.exercise_id for p in records.prescriptions
           for e in PrescriptionCreate.model_validate(p.body).exercises}
    ids |= {e.exercise_id for rows in records.exercises.values() for e in rows}
    return schedule.template_names(ids)


def bundle_for(records: PatientRecords, sec: Security, now: datetime) -> dict[str, Any]:
    """:func:`patient_bundle` with this server's id namespace and the library's names."""
    return patient_bundle(records, namespace=id_namespace(sec.digest("fhir", "resource-ids")),
                          names=exercise_names(records), now=now)


def _program(records: PatientRecords, ids: Ids,
             names: Mapping[str, str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    rows = records.prescriptions
    # each version with the one that replaced it (None for the newest; no versions: none)
    for row, following in zip(rows, [*rows[1:], None][:len(rows)], strict=True):
        out.append(resources.care_plan(row, following, records.patient, ids))
        out.extend(resources.service_requests(row, following, records.patient, ids, names))
    return out


def _devices(records: PatientRecords, ids: Ids) -> list[dict[str, Any]]:
    versions = list(dict.fromkeys(s.app_version for s in records.sessions))
    return [resources.device(v, v == versions[-1], records.patient, ids) for v in versions]


def _requests(records: PatientRecords) -> dict[tuple[int, str], int]:
    out: dict[tuple[int, str], int] = {}
    for row in records.prescriptions:
        for i, entry in enumerate(PrescriptionCreate.model_validate(row.body).exercises):
            out.setdefault((row.version, entry.exercise_id), i)
    return out


def patient_bundle(records: PatientRecords, *, namespace: uuid.UUID,
                   names: Mapping[str, str], now: datetime) -> dict[str, Any]:
    """Patient, CarePlans with their ServiceRequests, Devices, then each session's
    Observations, oldest session first. ``names``: display names of exercise ids."""
    ids = Ids(namespace)
    ctx = SessionContext(ids=ids, patient_id=records.patient.id, names=names,
                         requests=_requests(records),
                         careplans=frozenset(p.version for p in records.prescriptions))
    entries = [resources.patient_resource(records.patient, ids),
               *_program(records, ids, names), *_devices(records, ids)]
    for row in records.sessions:
        record = SessionRecord.model_validate(row.record)
        entries.extend(session_observations(ctx, row, records.exercises[row.id], record))
    return {"resourceType": "Bundle", "id": ids.id("bundle", records.patient.id, instant(now)),
            "type": "collection", "timestamp": instant(now),
            "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in entries]}
