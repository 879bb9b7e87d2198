"""token generation: the counter that invalidates the in-process bearer-token cache

Revision ID: 0033_token_generation
Revises: 0032_tlog_cosignatures

"""
from alembic import op
import sqlalchemy as sa

revision = '0033_token_generation'
down_revision = '0032_tlog_cosignatures'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table('token_generation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_token_generation'))
    )
    op.bulk_insert(table, [{'id': 1, 'value': 0}])


def downgrade() -> None:
    op.drop_table('token_generation')
