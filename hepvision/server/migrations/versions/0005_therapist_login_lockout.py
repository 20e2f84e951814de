"""Login lockout: consecutive failed logins per therapist and when the account was locked.

- ``therapists.failed_logins``: failed password attempts since the last success or unlock;
- ``therapists.last_failed_login_at``: when the last one happened (the backoff counts from it);
- ``therapists.locked_at``: set when the account is locked; only a therapist (API, dashboard)
  or ``hepvision therapist unlock`` clears it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('therapists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('last_failed_login_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('therapists', schema=None) as batch_op:
        batch_op.drop_column('locked_at')
        batch_op.drop_column('last_failed_login_at')
        batch_op.drop_column('failed_logins')
