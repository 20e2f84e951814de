"""Finding severities are info / caution / stop: the ``warning`` count becomes ``caution``.

Templates judge form with info, caution and stop, but the server counted info, warning and
stop, so every caution finding was counted nowhere. This revision renames
``session_exercises.findings_warning`` to ``findings_caution`` and adds to it the caution
findings of each stored session record. It also rewrites the legacy severity ``warning`` to
``caution`` inside the stored records and recomputes their ``record_digest`` (SHA-256 of the
canonical JSON, as the server computes it): the server now reads an uploaded ``warning`` as
caution, so a device retrying an old upload must still match the stored copy.

Downgrade renames the column back; its counts keep the caution findings (the old ``warning``
count's meaning), and stored records keep ``caution``, which the old server accepted.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 10:00:00.000000
"""

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 500
_sessions = sa.table('sessions', sa.column('id', sa.Uuid()), sa.column('record', sa.JSON()),
                     sa.column('record_digest', sa.String(64)))
_exercises = sa.table('session_exercises', sa.column('session_id', sa.Uuid()),
                      sa.column('position', sa.SmallInteger()),
                      sa.column('findings_caution', sa.Integer()))


def upgrade() -> None:
    with op.batch_alter_table('session_exercises', schema=None) as batch_op:
        batch_op.alter_column('findings_warning', new_column_name='findings_caution',
                              existing_type=sa.Integer(), existing_nullable=False)
    conn = op.get_bind()
    last = None
    while True:
        q = sa.select(_sessions.c.id, _sessions.c.record).order_by(_sessions.c.id).limit(_BATCH)
        if last is not None:
            q = q.where(_sessions.c.id > last)
        rows = conn.execute(q).all()
        if not rows:
            break
        for session_id, record in rows:
            _migrate_record(conn, session_id, record)
        last = rows[-1][0]


def _migrate_record(conn: sa.Connection, session_id: Any, record: dict[str, Any]) -> None:
    """Count the record's caution findings per exercise; rewrite its ``warning`` findings."""
    renamed = False
    for position, exercise in enumerate(record.get('exercises', [])):
        cautions = 0
        for s in exercise.get('sets', []):
            for finding in s.get('findings', []):
                if finding.get('severity') == 'caution':
                    cautions += 1
                elif finding.get('severity') == 'warning':
                    finding['severity'] = 'caution'
                    renamed = True
        if cautions:
            conn.execute(sa.update(_exercises)
                         .where(_exercises.c.session_id == session_id,
                                _exercises.c.position == position)
                         .values(findings_caution=_exercises.c.findings_caution + cautions))
    if renamed:
        canonical = json.dumps(record, sort_keys=True, separators=(',', ':'))
        digest = hashlib.sha256(canonical.encode('utf-8')).hexdigest()
        conn.execute(sa.update(_sessions).where(_sessions.c.id == session_id)
                     .values(record=record, record_digest=digest))


def downgrade() -> None:
    with op.batch_alter_table('session_exercises', schema=None) as batch_op:
        batch_op.alter_column('findings_caution', new_column_name='findings_warning',
                              existing_type=sa.Integer(), existing_nullable=False)
