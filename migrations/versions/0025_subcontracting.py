"""subcontracting: sub-orders linked to their parent order, the tree's promises and consents,
what a payout set aside for its sub-orders' escrows

Revision ID: 0025_subcontracting
Revises: 0024_materials

The lead re-chains this at merge.
"""
from alembic import op
import sqlalchemy as sa


revision = '0025_subcontracting'
down_revision = '0024_materials'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_order_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('parent_operation_seqs', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('tier', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_orders_parent_order_id'), ['parent_order_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_orders_parent_order_id_orders'), 'orders', ['parent_order_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_orders_tier_nonnegative'), 'tier >= 0')

    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subcontracted_minor', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_payouts_subcontracted_nonnegative'), 'subcontracted_minor >= 0')

    op.create_table('subcontract_nodes',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('promised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tree_promised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('name_disclosed', sa.Boolean(), nullable=False),
    sa.Column('cancel_flag', sa.String(length=24), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("cancel_flag IS NULL OR cancel_flag IN ('needs_agreement', 'agreed', 'refused')",
                       name=op.f('ck_subcontract_nodes_cancel_flag')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_subcontract_nodes_order_id_orders')),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_subcontract_nodes'))
    )


def downgrade() -> None:
    op.drop_table('subcontract_nodes')
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_payouts_subcontracted_nonnegative'), type_='check')
        batch_op.drop_column('subcontracted_minor')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_orders_tier_nonnegative'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_orders_parent_order_id_orders'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_orders_parent_order_id'))
        batch_op.drop_column('tier')
        batch_op.drop_column('parent_operation_seqs')
        batch_op.drop_column('parent_order_id')
