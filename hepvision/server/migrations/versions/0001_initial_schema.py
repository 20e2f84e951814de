"""Initial schema: accounts, tokens, enrolment codes, prescriptions, sessions, RTM ledger, audit.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23 08:56:20.496975
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('resource', sa.String(length=64), nullable=False),
    sa.Column('resource_id', sa.String(length=64), nullable=True),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('therapist_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_patient_at', ['patient_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_therapist_id'), ['therapist_id'], unique=False)

    op.create_table('therapists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_therapists')),
    sa.UniqueConstraint('email', name=op.f('uq_therapists_email'))
    )
    op.create_table('patients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('therapist_id', sa.Integer(), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('external_ref', sa.String(length=64), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('monitoring_start', sa.Date(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['therapist_id'], ['therapists.id'], name=op.f('fk_patients_therapist_id_therapists')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patients'))
    )
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patients_therapist_id'), ['therapist_id'], unique=False)

    op.create_table('auth_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('therapist_id', sa.Integer(), nullable=True),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_auth_tokens_patient_id_patients')),
    sa.ForeignKeyConstraint(['therapist_id'], ['therapists.id'], name=op.f('fk_auth_tokens_therapist_id_therapists')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_tokens')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_auth_tokens_token_digest'))
    )
    with op.batch_alter_table('auth_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auth_tokens_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_auth_tokens_therapist_id'), ['therapist_id'], unique=False)

    op.create_table('enrolment_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('code_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_enrolment_codes_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolment_codes')),
    sa.UniqueConstraint('code_digest', name=op.f('uq_enrolment_codes_code_digest'))
    )
    with op.batch_alter_table('enrolment_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolment_codes_patient_id'), ['patient_id'], unique=False)

    op.create_table('prescriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['therapists.id'], name=op.f('fk_prescriptions_created_by_therapists')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_prescriptions_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prescriptions')),
    sa.UniqueConstraint('patient_id', 'version', name=op.f('uq_prescriptions_patient_id'))
    )
    with op.batch_alter_table('prescriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prescriptions_patient_id'), ['patient_id'], unique=False)

    op.create_table('sessions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('prescription_version', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=False),
    sa.Column('pain_before', sa.SmallInteger(), nullable=True),
    sa.Column('pain_after', sa.SmallInteger(), nullable=True),
    sa.Column('stopped_early', sa.Boolean(), nullable=False),
    sa.Column('total_reps', sa.Integer(), nullable=False),
    sa.Column('app_version', sa.String(length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('record_digest', sa.String(length=64), nullable=False),
    sa.Column('record', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_sessions_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sessions'))
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.create_index('ix_sessions_patient_started', ['patient_id', 'started_at'], unique=False)

    op.create_table('session_exercises',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('exercise_id', sa.String(length=64), nullable=False),
    sa.Column('angle_name', sa.String(length=64), nullable=False),
    sa.Column('side', sa.String(length=8), nullable=True),
    sa.Column('view', sa.String(length=16), nullable=False),
    sa.Column('sets_done', sa.Integer(), nullable=False),
    sa.Column('reps_done', sa.Integer(), nullable=False),
    sa.Column('partial_reps', sa.Integer(), nullable=False),
    sa.Column('rom_best_deg', sa.Float(), nullable=True),
    sa.Column('rom_median_deg', sa.Float(), nullable=True),
    sa.Column('hold_s', sa.Float(), nullable=False),
    sa.Column('findings_info', sa.Integer(), nullable=False),
    sa.Column('findings_warning', sa.Integer(), nullable=False),
    sa.Column('findings_stop', sa.Integer(), nullable=False),
    sa.Column('findings_by_rule', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_session_exercises_patient_id_patients')),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_session_exercises_session_id_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_exercises'))
    )
    with op.batch_alter_table('session_exercises', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_exercises_session_id'), ['session_id'], unique=False)
        batch_op.create_index('ix_session_exercises_trend', ['patient_id', 'exercise_id', 'angle_name', 'started_at'], unique=False)

    op.create_table('transmission_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_transmission_days_patient_id_patients')),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_transmission_days_session_id_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transmission_days')),
    sa.UniqueConstraint('session_id', name=op.f('uq_transmission_days_session_id'))
    )
    with op.batch_alter_table('transmission_days', schema=None) as batch_op:
        batch_op.create_index('ix_transmission_days_patient_day', ['patient_id', 'day'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('transmission_days', schema=None) as batch_op:
        batch_op.drop_index('ix_transmission_days_patient_day')

    op.drop_table('transmission_days')
    with op.batch_alter_table('session_exercises', schema=None) as batch_op:
        batch_op.drop_index('ix_session_exercises_trend')
        batch_op.drop_index(batch_op.f('ix_session_exercises_session_id'))

    op.drop_table('session_exercises')
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_sessions_patient_started')

    op.drop_table('sessions')
    with op.batch_alter_table('prescriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prescriptions_patient_id'))

    op.drop_table('prescriptions')
    with op.batch_alter_table('enrolment_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolment_codes_patient_id'))

    op.drop_table('enrolment_codes')
    with op.batch_alter_table('auth_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_tokens_therapist_id'))
        batch_op.drop_index(batch_op.f('ix_auth_tokens_patient_id'))

    op.drop_table('auth_tokens')
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patients_therapist_id'))

    op.drop_table('patients')
    op.drop_table('therapists')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_therapist_id'))
        batch_op.drop_index('ix_audit_log_patient_at')

    op.drop_table('audit_log')
