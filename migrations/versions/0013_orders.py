"""orders.declared_value_minor: the buyer's declared part value, the basis of percent-of-value prices

Revision ID: 0013_orders
Revises: 0012_credit
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_orders'
down_revision = '0012_credit'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('declared_value_minor', sa.BigInteger(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_orders_declared_value_nonnegative'), 'declared_value_minor >= 0')


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_declared_value_nonnegative'), type_='check')
        batch_op.drop_column('declared_value_minor')
