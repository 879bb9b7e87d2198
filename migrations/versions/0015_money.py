"""money columns are 64-bit

Amounts of 2^31 minor units and more (¥21.47 M) overflowed PostgreSQL's `integer`. Every
money column becomes BIGINT. On SQLite an INTEGER already holds 64 bits; its tables are
recreated (batch mode) only so that the declared type matches the models.

The downgrade narrows them again: it fails on PostgreSQL while any amount is >= 2^31.

Revision ID: 0015_money
Revises: 0014_infra
"""
from alembic import op
import sqlalchemy as sa


revision = '0015_money'
down_revision = '0014_infra'
branch_labels = None
depends_on = None

MONEY_COLUMNS = {
    'machines': ('hourly_rate_minor',),
    'capacity_windows': ('price',),
    'orders': ('budget_minor',),
    'quotes': ('price_minor', 'transport_minor'),
    'quote_lines': ('price_minor',),
    'commission_rules': ('minimum_minor',),
    'payments': ('amount_minor',),
    'payouts': ('gross_minor', 'commission_minor'),
    'payment_movements': ('amount_minor',),
    'disputes': ('refund_minor',),
    'dispute_outcomes': ('refund_minor',),
}


def _retype(old, new) -> None:
    for table, columns in MONEY_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=old, type_=new, existing_nullable=False)


def upgrade() -> None:
    _retype(sa.Integer(), sa.BigInteger())


def downgrade() -> None:
    _retype(sa.BigInteger(), sa.Integer())
