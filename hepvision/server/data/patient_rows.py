"""Which rows of which tables belong to one patient, found from the schema itself.

A row belongs to the patient when its table has a ``patient_id`` column equal to the patient's
id, or a foreign key into a row that belongs to the patient (a session's per-exercise rows, a
ledger row of one of the patient's sessions, any table added later that points at either).
Nothing here names a table but ``patients`` and ``audit_log``, so a table added to the models
is exported and erased without touching this module; ``tests/test_patient_data.py`` checks
that no row of the patient survives erasure in any table.

``audit_log`` is the exception: its rows are the record of who did what. Erasure does not
delete them but makes them unlinkable (see :mod:`hepvision.server.data.erasure`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Table, or_, select

from hepvision.server.models import AuditEntry, Base, Patient

PATIENTS: Table = Patient.__table__  # type: ignore[assignment]
AUDIT: Table = AuditEntry.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Selection:
    """The patient's rows of one table: ``where`` applied to ``table``."""

    table: Table
    where: ColumnElement[bool]


def patient_selections(patient_id: int) -> list[Selection]:
    """Every table's rows of the patient, parents before children (``patients`` first).

    ``audit_log`` is left out (it is anonymised, not deleted). Deleting in the reverse order
    of the list removes children before the rows their foreign keys point at.
    """
    wheres: dict[Table, ColumnElement[bool]] = {PATIENTS: PATIENTS.c.id == patient_id}
    for table in Base.metadata.sorted_tables:
        if table is PATIENTS or table is AUDIT:
            continue
        conditions: list[ColumnElement[bool]] = []
        if "patient_id" in table.c:
            conditions.append(table.c.patient_id == patient_id)
        for fk in table.foreign_keys:
            parent = fk.column.table
            if isinstance(parent, Table) and parent in wheres and fk.parent.table is table:
                owned = select(fk.column).where(wheres[parent])
                conditions.append(fk.parent.in_(owned))
        if conditions:
            wheres[table] = or_(*conditions)
    return [Selection(table, where) for table, where in wheres.items()]
