"""bill of materials: order operations belong to a component and wait for named predecessors

Revision ID: 0021_bom
Revises: 0020_notifications

The lead re-chains this at merge.
"""
from alembic import op
import sqlalchemy as sa


revision = '0021_bom'
down_revision = '0020_notifications'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('order_operations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('component', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('quantity_per_parent', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('component_material', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('after_seqs', sa.JSON(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_order_operations_quantity_per_parent_positive'), 'quantity_per_parent > 0')
    # existing rows got their values; the model supplies them from now on
    with op.batch_alter_table('order_operations', schema=None) as batch_op:
        batch_op.alter_column('component', server_default=None)
        batch_op.alter_column('quantity_per_parent', server_default=None)
        batch_op.alter_column('component_material', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('order_operations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_order_operations_quantity_per_parent_positive'), type_='check')
        batch_op.drop_column('after_seqs')
        batch_op.drop_column('component_material')
        batch_op.drop_column('quantity_per_parent')
        batch_op.drop_column('component')
