"""bids: factory bids on orders, the thread of each (steps, per-operation prices), documents

Revision ID: 0022_bids
Revises: 0021_bom

The lead re-chains this at merge.
"""
from alembic import op
import sqlalchemy as sa


revision = '0022_bids'
down_revision = '0021_bom'
branch_labels = None
depends_on = None

BID_STATUSES = "('open', 'countered', 'withdrawn', 'declined', 'accepted', 'lost', 'closed')"
STEP_KINDS = ("('submitted', 'revised', 'withdrawn', 'countered', 'counter_accepted', 'counter_rejected', "
              "'declined', 'accepted', 'lost', 'closed')")


def upgrade() -> None:
    op.create_table('bids',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('factory_org_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('price_basis', sa.String(length=10), nullable=False),
    sa.Column('price_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('promised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('conditions', sa.String(), nullable=False),
    sa.Column('counter_price_minor', sa.BigInteger(), nullable=True),
    sa.Column('counter_promised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('quote_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(f"status IN {BID_STATUSES}", name=op.f('ck_bids_status')),
    sa.CheckConstraint("price_basis IN ('order', 'operation')", name=op.f('ck_bids_price_basis')),
    sa.CheckConstraint('price_minor >= 0', name=op.f('ck_bids_price_nonnegative')),
    sa.CheckConstraint('counter_price_minor >= 0', name=op.f('ck_bids_counter_price_nonnegative')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_bids_order_id_orders')),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_bids_factory_id_factories')),
    sa.ForeignKeyConstraint(['factory_org_id'], ['organizations.id'], name=op.f('fk_bids_factory_org_id_organizations')),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], name=op.f('fk_bids_quote_id_quotes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bids')),
    sa.UniqueConstraint('public_id', name=op.f('uq_bids_public_id'))
    )
    op.create_index('ix_bids_order_id', 'bids', ['order_id'], unique=False)
    op.create_index('ix_bids_factory_org_id', 'bids', ['factory_org_id'], unique=False)
    op.create_index('uq_bids_order_factory_org', 'bids', ['order_id', 'factory_org_id'], unique=True)
    op.create_table('bid_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('actor_org_id', sa.Integer(), nullable=True),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('price_minor', sa.BigInteger(), nullable=True),
    sa.Column('promised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=True),
    sa.Column('ledger_index', sa.BigInteger(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(f"kind IN {STEP_KINDS}", name=op.f('ck_bid_steps_kind')),
    sa.CheckConstraint('price_minor >= 0', name=op.f('ck_bid_steps_price_nonnegative')),
    sa.ForeignKeyConstraint(['bid_id'], ['bids.id'], name=op.f('fk_bid_steps_bid_id_bids')),
    sa.ForeignKeyConstraint(['actor_org_id'], ['organizations.id'], name=op.f('fk_bid_steps_actor_org_id_organizations')),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_bid_steps_actor_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_steps'))
    )
    op.create_index('ix_bid_steps_bid_id', 'bid_steps', ['bid_id'], unique=False)
    op.create_table('bid_step_operations',
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('price_minor', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('price_minor >= 0', name=op.f('ck_bid_step_operations_price_nonnegative')),
    sa.ForeignKeyConstraint(['step_id'], ['bid_steps.id'], name=op.f('fk_bid_step_operations_step_id_bid_steps'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('step_id', 'seq', name=op.f('pk_bid_step_operations'))
    )
    op.create_table('bid_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_org_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['bids.id'], name=op.f('fk_bid_attachments_bid_id_bids')),
    sa.ForeignKeyConstraint(['uploaded_by_org_id'], ['organizations.id'],
                            name=op.f('fk_bid_attachments_uploaded_by_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_attachments')),
    sa.UniqueConstraint('public_id', name=op.f('uq_bid_attachments_public_id')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_bid_attachments_storage_key'))
    )
    op.create_index('ix_bid_attachments_bid_id', 'bid_attachments', ['bid_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_bid_attachments_bid_id', table_name='bid_attachments')
    op.drop_table('bid_attachments')
    op.drop_table('bid_step_operations')
    op.drop_index('ix_bid_steps_bid_id', table_name='bid_steps')
    op.drop_table('bid_steps')
    op.drop_index('uq_bids_order_factory_org', table_name='bids')
    op.drop_index('ix_bids_factory_org_id', table_name='bids')
    op.drop_index('ix_bids_order_id', table_name='bids')
    op.drop_table('bids')
