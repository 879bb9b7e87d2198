"""leases and rent invoices; machine-day summaries on the ledger

Revision ID: 0029_leasing
Revises: 0028_receivables

"""
from alembic import op
import sqlalchemy as sa

revision = '0029_leasing'
down_revision = '0028_receivables'
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table('leases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('lessor_org_id', sa.Integer(), nullable=False),
    sa.Column('lessee_org_id', sa.Integer(), nullable=False),
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('machine_id', sa.Integer(), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('schedule', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('price_minor', sa.BigInteger(), nullable=False),
    sa.Column('down_payment_minor', sa.BigInteger(), nullable=False),
    sa.Column('fixed_minor', sa.BigInteger(), nullable=False),
    sa.Column('rate_minor_per_hour', sa.BigInteger(), nullable=False),
    sa.Column('floor_minor', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('start_day', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('disbursed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('disbursed_minor', sa.BigInteger(), nullable=True),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.Column('offer_ledger_index', sa.BigInteger(), nullable=True),
    sa.Column('signed_ledger_index', sa.BigInteger(), nullable=True),
    sa.Column('disbursed_ledger_index', sa.BigInteger(), nullable=True),
    sa.Column('disbursement_salt', sa.String(length=64), nullable=True),
    sa.Column('contract_pdf_en', sa.LargeBinary(), nullable=True),
    sa.Column('contract_pdf_zh', sa.LargeBinary(), nullable=True),
    sa.Column('contract_sha256', sa.JSON(), nullable=True),
    sa.CheckConstraint("kind IN ('new', 'leaseback')", name=op.f('ck_leases_kind')),
    sa.CheckConstraint("schedule IN ('fixed', 'usage', 'hybrid')", name=op.f('ck_leases_schedule')),
    sa.CheckConstraint("status IN ('offered', 'signed', 'active', 'declined', 'ended')", name=op.f('ck_leases_status')),
    sa.CheckConstraint('fixed_minor >= 0 AND rate_minor_per_hour >= 0 AND floor_minor >= 0', name=op.f('ck_leases_rent_non_negative')),
    sa.CheckConstraint('price_minor > 0 AND down_payment_minor >= 0 AND down_payment_minor <= price_minor', name=op.f('ck_leases_price')),
    sa.CheckConstraint('term_months BETWEEN 1 AND 120', name=op.f('ck_leases_term')),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_leases_factory_id_factories')),
    sa.ForeignKeyConstraint(['lessee_org_id'], ['organizations.id'], name=op.f('fk_leases_lessee_org_id_organizations')),
    sa.ForeignKeyConstraint(['lessor_org_id'], ['organizations.id'], name=op.f('fk_leases_lessor_org_id_organizations')),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_leases_machine_id_machines')),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['organizations.id'], name=op.f('fk_leases_supplier_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leases')),
    sa.UniqueConstraint('public_id', name=op.f('uq_leases_public_id'))
    )
    with op.batch_alter_table('leases', schema=None) as batch_op:
        batch_op.create_index('ix_leases_lessee', ['lessee_org_id'], unique=False)
        batch_op.create_index('ix_leases_lessor', ['lessor_org_id'], unique=False)
        batch_op.create_index('ix_leases_machine', ['machine_id'], unique=False)
        batch_op.create_index('uq_leases_machine_open', ['machine_id'], unique=True,
                              sqlite_where=sa.text("status IN ('offered', 'signed', 'active')"),
                              postgresql_where=sa.text("status IN ('offered', 'signed', 'active')"))

    op.create_table('lease_invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('lease_id', sa.Integer(), nullable=False),
    sa.Column('period_no', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('run_total_s', sa.BigInteger(), nullable=False),
    sa.Column('rent_minor', sa.BigInteger(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('days_late', sa.Integer(), nullable=True),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('committed', sa.JSON(), nullable=False),
    sa.Column('day_entries', sa.JSON(), nullable=False),
    sa.Column('ledger_index', sa.BigInteger(), nullable=True),
    sa.Column('overdue_ledger_index', sa.BigInteger(), nullable=True),
    sa.Column('paid_ledger_index', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'paid', 'overdue')", name=op.f('ck_lease_invoices_status')),
    sa.CheckConstraint('period_end > period_start', name=op.f('ck_lease_invoices_period')),
    sa.CheckConstraint('rent_minor >= 0 AND run_total_s >= 0', name=op.f('ck_lease_invoices_non_negative')),
    sa.ForeignKeyConstraint(['lease_id'], ['leases.id'], name=op.f('fk_lease_invoices_lease_id_leases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lease_invoices')),
    sa.UniqueConstraint('lease_id', 'period_no', name='uq_lease_invoices_lease_period'),
    sa.UniqueConstraint('public_id', name=op.f('uq_lease_invoices_public_id'))
    )
    with op.batch_alter_table('lease_invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lease_invoices_lease_id'), ['lease_id'], unique=False)

    with op.batch_alter_table('telemetry_machine_days', schema=None) as batch_op:
        batch_op.add_column(sa.Column('salt', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('committed', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('ledger_index', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('ledger_leaf', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('corrections', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index('ix_telemetry_machine_days_ledger', ['ledger_index'], unique=False)

def downgrade() -> None:
    with op.batch_alter_table('telemetry_machine_days', schema=None) as batch_op:
        batch_op.drop_index('ix_telemetry_machine_days_ledger')
        batch_op.drop_column('corrections')
        batch_op.drop_column('ledger_leaf')
        batch_op.drop_column('ledger_index')
        batch_op.drop_column('committed')
        batch_op.drop_column('salt')

    with op.batch_alter_table('lease_invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lease_invoices_lease_id'))

    op.drop_table('lease_invoices')
    with op.batch_alter_table('leases', schema=None) as batch_op:
        batch_op.drop_index('uq_leases_machine_open')
        batch_op.drop_index('ix_leases_machine')
        batch_op.drop_index('ix_leases_lessor')
        batch_op.drop_index('ix_leases_lessee')

    op.drop_table('leases')
