"""usage-based insurance: the insurer organization kind, policies, premiums, downtime claims

Revision ID: 0030_ubi_insurance
Revises: 0029_leasing

"""
from alembic import op
import sqlalchemy as sa

revision = '0030_ubi_insurance'
down_revision = '0029_leasing'
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('factory', 'buyer', 'lender', 'operator')"
NEW_KINDS = "kind IN ('factory', 'buyer', 'lender', 'insurer', 'operator')"
OLD_PURPOSES = "purpose IN ('credit_assessment', 'order_financing', 'equipment_financing', 'monitoring')"
NEW_PURPOSES = "purpose IN ('credit_assessment', 'order_financing', 'equipment_financing', 'monitoring', 'insurance')"


def upgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_organizations_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_organizations_kind'), NEW_KINDS)
    with op.batch_alter_table('credit_consents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_credit_consents_purpose'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_credit_consents_purpose'), NEW_PURPOSES)

    op.create_table('insurance_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('insurer_org_id', sa.Integer(), nullable=False),
    sa.Column('insured_org_id', sa.Integer(), nullable=False),
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('machine_id', sa.Integer(), nullable=False),
    sa.Column('coverage', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('start_day', sa.Date(), nullable=False),
    sa.Column('end_day', sa.Date(), nullable=False),
    sa.Column('sum_insured_minor', sa.BigInteger(), nullable=False),
    sa.Column('rate_minor_per_hour', sa.BigInteger(), nullable=False),
    sa.Column('deductible_hours', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.Column('quote', sa.JSON(), nullable=False),
    sa.Column('offer_ledger_index', sa.BigInteger(), nullable=True),
    sa.Column('issued_ledger_index', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("coverage IN ('breakdown', 'warranty')", name=op.f('ck_insurance_policies_coverage')),
    sa.CheckConstraint("status IN ('offered', 'active', 'declined', 'ended')", name=op.f('ck_insurance_policies_status')),
    sa.CheckConstraint('term_months BETWEEN 1 AND 60', name=op.f('ck_insurance_policies_term')),
    sa.CheckConstraint('end_day > start_day', name=op.f('ck_insurance_policies_days')),
    sa.CheckConstraint('sum_insured_minor > 0', name=op.f('ck_insurance_policies_sum_insured_positive')),
    sa.CheckConstraint('rate_minor_per_hour >= 0', name=op.f('ck_insurance_policies_rate_non_negative')),
    sa.CheckConstraint('deductible_hours BETWEEN 0 AND 720', name=op.f('ck_insurance_policies_deductible')),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_insurance_policies_factory_id_factories')),
    sa.ForeignKeyConstraint(['insured_org_id'], ['organizations.id'], name=op.f('fk_insurance_policies_insured_org_id_organizations')),
    sa.ForeignKeyConstraint(['insurer_org_id'], ['organizations.id'], name=op.f('fk_insurance_policies_insurer_org_id_organizations')),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_insurance_policies_machine_id_machines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insurance_policies')),
    sa.UniqueConstraint('public_id', name=op.f('uq_insurance_policies_public_id'))
    )
    op.create_index('ix_insurance_policies_insurer', 'insurance_policies', ['insurer_org_id'], unique=False)
    op.create_index('ix_insurance_policies_insured', 'insurance_policies', ['insured_org_id'], unique=False)
    op.create_index('ix_insurance_policies_machine', 'insurance_policies', ['machine_id', 'coverage'], unique=False)

    op.create_table('insurance_premiums',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('period_no', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('premium_minor', sa.BigInteger(), nullable=False),
    sa.Column('quote', sa.JSON(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('committed', sa.JSON(), nullable=False),
    sa.Column('ledger_index', sa.BigInteger(), nullable=True),
    sa.Column('paid_ledger_index', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'paid', 'overdue')", name=op.f('ck_insurance_premiums_status')),
    sa.CheckConstraint('premium_minor >= 0', name=op.f('ck_insurance_premiums_premium_non_negative')),
    sa.CheckConstraint('period_end > period_start', name=op.f('ck_insurance_premiums_period')),
    sa.ForeignKeyConstraint(['policy_id'], ['insurance_policies.id'], name=op.f('fk_insurance_premiums_policy_id_insurance_policies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insurance_premiums')),
    sa.UniqueConstraint('policy_id', 'period_no', name='uq_insurance_premiums_policy_period'),
    sa.UniqueConstraint('public_id', name=op.f('uq_insurance_premiums_public_id'))
    )
    op.create_index(op.f('ix_insurance_premiums_policy_id'), 'insurance_premiums', ['policy_id'], unique=False)

    op.create_table('insurance_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('down_s', sa.BigInteger(), nullable=False),
    sa.Column('days', sa.JSON(), nullable=False),
    sa.Column('day_entries', sa.JSON(), nullable=False),
    sa.Column('claimed_minor', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_minor', sa.BigInteger(), nullable=True),
    sa.Column('decision_reason', sa.String(length=500), nullable=True),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('committed', sa.JSON(), nullable=False),
    sa.Column('ledger_index', sa.BigInteger(), nullable=True),
    sa.Column('decided_ledger_index', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("status IN ('filed', 'approved', 'rejected')", name=op.f('ck_insurance_claims_status')),
    sa.CheckConstraint('end_at > start_at', name=op.f('ck_insurance_claims_window')),
    sa.CheckConstraint('down_s > 0', name=op.f('ck_insurance_claims_down_positive')),
    sa.CheckConstraint('claimed_minor >= 0', name=op.f('ck_insurance_claims_claimed_non_negative')),
    sa.CheckConstraint('approved_minor IS NULL OR (approved_minor >= 0 AND approved_minor <= claimed_minor)', name=op.f('ck_insurance_claims_approved_within_claim')),
    sa.ForeignKeyConstraint(['policy_id'], ['insurance_policies.id'], name=op.f('fk_insurance_claims_policy_id_insurance_policies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insurance_claims')),
    sa.UniqueConstraint('public_id', name=op.f('uq_insurance_claims_public_id'))
    )
    op.create_index(op.f('ix_insurance_claims_policy_id'), 'insurance_claims', ['policy_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_insurance_claims_policy_id'), table_name='insurance_claims')
    op.drop_table('insurance_claims')
    op.drop_index(op.f('ix_insurance_premiums_policy_id'), table_name='insurance_premiums')
    op.drop_table('insurance_premiums')
    op.drop_index('ix_insurance_policies_machine', table_name='insurance_policies')
    op.drop_index('ix_insurance_policies_insured', table_name='insurance_policies')
    op.drop_index('ix_insurance_policies_insurer', table_name='insurance_policies')
    op.drop_table('insurance_policies')
    with op.batch_alter_table('credit_consents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_credit_consents_purpose'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_credit_consents_purpose'), OLD_PURPOSES)
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_organizations_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_organizations_kind'), OLD_KINDS)
