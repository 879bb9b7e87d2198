"""receivables financing: payout assignments (a factory's payout on an order assigned to the
lender that advanced on it) and the movements that carry them (disbursement, assignee_payment)

Revision ID: 0028_receivables
Revises: 0027_bid_expiry

"""
from alembic import op
import sqlalchemy as sa


revision = '0028_receivables'
down_revision = '0027_bid_expiry'
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('intent', 'capture', 'transfer', 'commission', 'commission_return', 'refund', 'reversal')"
NEW_KINDS = ("kind IN ('intent', 'capture', 'transfer', 'commission', 'commission_return', 'refund', 'reversal', "
             "'disbursement', 'assignee_payment')")


def upgrade() -> None:
    with op.batch_alter_table('payment_movements', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_payment_movements_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_payment_movements_kind'), NEW_KINDS)

    op.create_table('payout_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('payout_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('assignee_org_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('principal_minor', sa.BigInteger(), nullable=False),
    sa.Column('fee_minor', sa.BigInteger(), nullable=False),
    sa.Column('paid_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('buyer_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('buyer_confirmed_ledger_index', sa.Integer(), nullable=True),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.Column('ledger_index', sa.Integer(), nullable=True),
    sa.Column('settled_ledger_index', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('proposed', 'disbursing', 'active', 'settled', 'recourse', 'withdrawn')",
                       name=op.f('ck_payout_assignments_state')),
    sa.CheckConstraint('principal_minor > 0', name=op.f('ck_payout_assignments_principal_positive')),
    sa.CheckConstraint('fee_minor >= 0', name=op.f('ck_payout_assignments_fee_nonnegative')),
    sa.CheckConstraint('paid_minor >= 0', name=op.f('ck_payout_assignments_paid_nonnegative')),
    sa.ForeignKeyConstraint(['assignee_org_id'], ['organizations.id'],
                            name=op.f('fk_payout_assignments_assignee_org_id_organizations')),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_payout_assignments_factory_id_factories')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_payout_assignments_order_id_orders')),
    sa.ForeignKeyConstraint(['payout_id'], ['payouts.id'], name=op.f('fk_payout_assignments_payout_id_payouts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_assignments')),
    sa.UniqueConstraint('public_id', name=op.f('uq_payout_assignments_public_id')),
    sa.UniqueConstraint('reference', name=op.f('uq_payout_assignments_reference'))
    )
    with op.batch_alter_table('payout_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_assignments_assignee_org_id'), ['assignee_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_assignments_factory_id'), ['factory_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_assignments_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_payout_assignments_payout_state', ['payout_id', 'state'], unique=False)


def downgrade() -> None:
    op.drop_table('payout_assignments')
    with op.batch_alter_table('payment_movements', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_payment_movements_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_payment_movements_kind'), OLD_KINDS)
