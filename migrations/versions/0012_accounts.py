"""accounts: session versions

Revision ID: 0012_accounts
Revises: 0011_security_events
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_accounts'
down_revision = '0011_security_events'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
