"""Erasure of a patient's data on request: every row of the patient, in one transaction.

What goes: the patient, their prescriptions, every session record with its per-exercise rows
and RTM ledger rows, enrolment codes, device and calendar-feed tokens, and the rows of any
other table that belongs to the patient (found from the schema: see
:mod:`hepvision.server.data.patient_rows`). The server stores no video and no landmarks; a
session record is the only thing a device sends, and it goes with its session.

The audit log is not deleted, because it is the record of who read or changed what; instead
the patient's entries are made unlinkable: their patient id, resource id (session ids and the
like), detail, and the actor id of the patient's own device are cleared, so the rows say "a
therapist read a ROM trend at 09:14" about nobody. The erasure itself is logged as one entry
holding no personal data: the therapist, a random receipt id (returned to the therapist, who
may note it in the clinic's own record), and the number of rows deleted per table.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, and_, case, delete, or_, update
from sqlalchemy.orm import Session

from hepvision.server.data import audit
from hepvision.server.data.patient_rows import patient_selections
from hepvision.server.models import AuditEntry, Patient, Therapist, utcnow

#: Actor kinds whose ``actor_id`` is the patient's id (their device, their calendar feed).
PATIENT_ACTORS = ("device", "calendar")


@dataclass(frozen=True, slots=True)
class ErasureReceipt:
    """What an erasure did: ``rows_deleted`` per table (tables with none left out)."""

    receipt_id: uuid.UUID
    erased_at: datetime
    rows_deleted: dict[str, int]
    audit_entries_anonymised: int


def _anonymise_audit(db: Session, patient_id: int) -> int:
    mine = or_(AuditEntry.patient_id == patient_id,
               and_(AuditEntry.actor_kind.in_(PATIENT_ACTORS), AuditEntry.actor_id == patient_id))
    actor = case((AuditEntry.actor_kind.in_(PATIENT_ACTORS), None), else_=AuditEntry.actor_id)
    result = cast(CursorResult[Any], db.execute(
        update(AuditEntry).where(mine)
        .values(patient_id=None, resource_id=None, detail="", actor_id=actor)))
    return int(result.rowcount)


def erase_patient(db: Session, patient: Patient, *, therapist: Therapist) -> ErasureReceipt:
    """Delete every row of ``patient`` and anonymise their audit entries; commit."""
    patient_id = patient.id
    deleted: dict[str, int] = {}
    for selection in reversed(patient_selections(patient_id)):
        result = cast(CursorResult[Any], db.execute(delete(selection.table)
                                                    .where(selection.where)))
        if result.rowcount:
            deleted[selection.table.name] = int(result.rowcount)
    anonymised = _anonymise_audit(db, patient_id)
    db.expunge(patient)
    receipt = ErasureReceipt(uuid.uuid4(), utcnow(), deleted, anonymised)
    counts = ",".join(f"{table}={n}" for table, n in sorted(deleted.items()))
    audit.record(db, actor_kind="therapist", actor_id=therapist.id, action="erase",
                 resource="patient_data", resource_id=receipt.receipt_id,
                 therapist_id=therapist.id,
                 detail=f"deleted {counts}; audit entries anonymised={anonymised}")
    db.commit()
    return receipt
