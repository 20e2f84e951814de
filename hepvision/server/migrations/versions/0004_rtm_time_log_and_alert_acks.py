"""RTM treatment-management time log, alert acknowledgements, per-patient alert thresholds.

- ``rtm_time_entries``: minutes a therapist spent on a patient's monitoring, per day, with
  whether a live interactive communication happened (98980 / 98981 / 98979 per month);
- ``alert_acks``: a therapist acknowledged an alert, with a note; the alert stays hidden until
  its condition recurs;
- ``patients.alert_pain_nrs``, ``alert_rom_drop_deg``, ``alert_missed_days``: the patient's
  alert thresholds (NULL: the default).

Both new tables reference ``patients`` with ON DELETE CASCADE: erasing a patient removes them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('alert_acks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=160), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('therapist_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('message', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_alert_acks_patient_id_patients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['therapist_id'], ['therapists.id'], name=op.f('fk_alert_acks_therapist_id_therapists')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_acks'))
    )
    with op.batch_alter_table('alert_acks', schema=None) as batch_op:
        batch_op.create_index('ix_alert_acks_patient_kind', ['patient_id', 'kind', 'subject'], unique=False)

    op.create_table('rtm_time_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('therapist_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('minutes', sa.SmallInteger(), nullable=False),
    sa.Column('live_contact', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_rtm_time_entries_patient_id_patients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['therapist_id'], ['therapists.id'], name=op.f('fk_rtm_time_entries_therapist_id_therapists')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rtm_time_entries'))
    )
    with op.batch_alter_table('rtm_time_entries', schema=None) as batch_op:
        batch_op.create_index('ix_rtm_time_entries_patient_day', ['patient_id', 'day'], unique=False)

    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alert_pain_nrs', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('alert_rom_drop_deg', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('alert_missed_days', sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_column('alert_missed_days')
        batch_op.drop_column('alert_rom_drop_deg')
        batch_op.drop_column('alert_pain_nrs')

    with op.batch_alter_table('rtm_time_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_rtm_time_entries_patient_day')

    op.drop_table('rtm_time_entries')
    with op.batch_alter_table('alert_acks', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_acks_patient_kind')

    op.drop_table('alert_acks')
