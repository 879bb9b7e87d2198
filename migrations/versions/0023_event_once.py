"""event_once: keys of facts told once (reminders of overdue payments, expiring consents, ...)

Revision ID: 0023_event_once
Revises: 0022_bids

The lead re-chains this at merge.
"""
from alembic import op
import sqlalchemy as sa


revision = '0023_event_once'
down_revision = '0022_bids'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('event_once',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_event_once'))
    )


def downgrade() -> None:
    op.drop_table('event_once')
