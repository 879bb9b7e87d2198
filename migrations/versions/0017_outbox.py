"""event outbox: domain events waiting for their after-commit handlers (market/bus.py)

Revision ID: 0017_outbox
Revises: 0016_accounts
"""
from alembic import op
import sqlalchemy as sa


revision = '0017_outbox'
down_revision = '0016_accounts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('event_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event_type', sa.String(length=200), nullable=False),
    sa.Column('handler', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('available_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_outbox'))
    )
    op.create_index('ix_event_outbox_due', 'event_outbox', ['status', 'available_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_event_outbox_due', table_name='event_outbox')
    op.drop_table('event_outbox')
