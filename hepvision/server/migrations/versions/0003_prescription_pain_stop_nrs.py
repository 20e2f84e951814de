"""Prescriptions name the pain stop ``pain_stop_nrs``, as templates do.

Stored prescription bodies said ``overrides.pain_stop_at`` (0-10). This revision renames the
key in every stored body to ``pain_stop_nrs`` and raises a stop of 0 to 1, the lowest pain
stop (a stop at 0 would end every set, pain or none); the API still reads ``pain_stop_at``
from clients. Downgrade renames the key back.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:30:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_prescriptions = sa.table('prescriptions', sa.column('id', sa.Integer()),
                          sa.column('body', sa.JSON()))
_LOWEST_STOP = 1


def _rename(body: dict[str, Any], old: str, new: str, lowest: int | None) -> bool:
    changed = False
    for exercise in body.get('exercises', []):
        overrides = exercise.get('overrides') or {}
        if old in overrides:
            value = overrides.pop(old)
            if lowest is not None and value is not None and value < lowest:
                value = lowest
            overrides[new] = value
            changed = True
    return changed


def _rewrite(old: str, new: str, lowest: int | None) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(_prescriptions.c.id, _prescriptions.c.body)
                        .order_by(_prescriptions.c.id)).all()
    for row_id, body in rows:
        if _rename(body, old, new, lowest):
            conn.execute(sa.update(_prescriptions).where(_prescriptions.c.id == row_id)
                         .values(body=body))


def upgrade() -> None:
    _rewrite('pain_stop_at', 'pain_stop_nrs', _LOWEST_STOP)


def downgrade() -> None:
    _rewrite('pain_stop_nrs', 'pain_stop_at', None)
