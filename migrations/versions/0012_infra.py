"""idempotency claims with a lease

Revision ID: 0012_infra
Revises: 0011_security_events
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_infra'
down_revision = '0011_security_events'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.drop_column('lease_expires_at')
        batch_op.drop_column('claim_token')
