"""money under contracts that are not an order's escrow (lease disbursements, rent)

Revision ID: 0031_finance_contract_transfers
Revises: 0030_ubi_insurance

"""
from alembic import op
import sqlalchemy as sa

revision = '0031_finance_contract_transfers'
down_revision = '0030_ubi_insurance'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contract_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('contract', sa.String(length=64), nullable=False),
    sa.Column('item', sa.String(length=64), nullable=False),
    sa.Column('payer_org_id', sa.Integer(), nullable=False),
    sa.Column('payee_org_id', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=True),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.Column('ledger_index', sa.BigInteger(), nullable=True),
    sa.Column('done_ledger_index', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('lease_disbursement', 'lease_rent')", name=op.f('ck_contract_transfers_kind')),
    sa.CheckConstraint("state IN ('pending', 'succeeded', 'failed')", name=op.f('ck_contract_transfers_state')),
    sa.CheckConstraint('amount_minor > 0', name=op.f('ck_contract_transfers_amount_positive')),
    sa.CheckConstraint('payer_org_id <> payee_org_id', name=op.f('ck_contract_transfers_two_parties')),
    sa.ForeignKeyConstraint(['payee_org_id'], ['organizations.id'], name=op.f('fk_contract_transfers_payee_org_id_organizations')),
    sa.ForeignKeyConstraint(['payer_org_id'], ['organizations.id'], name=op.f('fk_contract_transfers_payer_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_transfers')),
    sa.UniqueConstraint('public_id', name=op.f('uq_contract_transfers_public_id'))
    )
    op.create_index('ix_contract_transfers_contract', 'contract_transfers', ['contract'], unique=False)
    op.create_index('uq_contract_transfers_live_item', 'contract_transfers', ['kind', 'item'], unique=True,
                    sqlite_where=sa.text("state IN ('pending', 'succeeded')"),
                    postgresql_where=sa.text("state IN ('pending', 'succeeded')"))


def downgrade() -> None:
    op.drop_index('uq_contract_transfers_live_item', table_name='contract_transfers')
    op.drop_index('ix_contract_transfers_contract', table_name='contract_transfers')
    op.drop_table('contract_transfers')
