"""credit: consents, access log, reports, financing

Revision ID: 0007_credit
Revises: 0004_quotes
Create Date: 2026-11-22 04:51:46.305193
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_credit'
down_revision = '0006_telemetry'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('credit_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('lender_org_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('ledger_index', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("purpose IN ('credit_assessment', 'order_financing', 'equipment_financing', 'monitoring')", name=op.f('ck_credit_consents_purpose')),
    sa.CheckConstraint('valid_until > valid_from', name=op.f('ck_credit_consents_period')),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_credit_consents_factory_id_factories')),
    sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], name=op.f('fk_credit_consents_granted_by_id_users')),
    sa.ForeignKeyConstraint(['lender_org_id'], ['organizations.id'], name=op.f('fk_credit_consents_lender_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_consents')),
    sa.UniqueConstraint('public_id', name=op.f('uq_credit_consents_public_id'))
    )
    with op.batch_alter_table('credit_consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_consents_factory_id'), ['factory_id'], unique=False)
        batch_op.create_index('ix_credit_consents_lender_factory', ['lender_org_id', 'factory_id'], unique=False)

    op.create_table('credit_access_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('consent_id', sa.Integer(), nullable=True),
    sa.Column('lender_org_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('ledger_index', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("action IN ('granted', 'revoked', 'report_issued', 'report_viewed', 'report_pdf', 'evidence_downloaded', 'application_reviewed', 'refused')", name=op.f('ck_credit_access_log_action')),
    sa.ForeignKeyConstraint(['consent_id'], ['credit_consents.id'], name=op.f('fk_credit_access_log_consent_id_credit_consents')),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_credit_access_log_factory_id_factories')),
    sa.ForeignKeyConstraint(['lender_org_id'], ['organizations.id'], name=op.f('fk_credit_access_log_lender_org_id_organizations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_credit_access_log_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_access_log'))
    )
    with op.batch_alter_table('credit_access_log', schema=None) as batch_op:
        batch_op.create_index('ix_credit_access_log_factory_at', ['factory_id', 'at'], unique=False)

    op.create_table('credit_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('lender_org_id', sa.Integer(), nullable=False),
    sa.Column('consent_id', sa.Integer(), nullable=False),
    sa.Column('scorecard_version', sa.String(length=40), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('pd_ppm', sa.Integer(), nullable=False),
    sa.Column('grade', sa.String(length=4), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('ledger_index', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['consent_id'], ['credit_consents.id'], name=op.f('fk_credit_reports_consent_id_credit_consents')),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_credit_reports_factory_id_factories')),
    sa.ForeignKeyConstraint(['lender_org_id'], ['organizations.id'], name=op.f('fk_credit_reports_lender_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_reports')),
    sa.UniqueConstraint('public_id', name=op.f('uq_credit_reports_public_id'))
    )
    with op.batch_alter_table('credit_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_reports_factory_id'), ['factory_id'], unique=False)
        batch_op.create_index('ix_credit_reports_lender_factory', ['lender_org_id', 'factory_id'], unique=False)

    op.create_table('financing_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('lender_org_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_amount_minor', sa.BigInteger(), nullable=True),
    sa.Column('rate_bp', sa.Integer(), nullable=True),
    sa.Column('decline_reasons', sa.JSON(), nullable=False),
    sa.Column('disbursed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('ledger_index', sa.BigInteger(), nullable=True),
    sa.Column('decision_salt', sa.String(length=64), nullable=True),
    sa.Column('decision_ledger_index', sa.BigInteger(), nullable=True),
    sa.Column('disbursement_salt', sa.String(length=64), nullable=True),
    sa.Column('disbursement_ledger_index', sa.BigInteger(), nullable=True),
    sa.Column('disbursement_payload', sa.JSON(), nullable=True),
    sa.CheckConstraint("kind IN ('order', 'equipment')", name=op.f('ck_financing_applications_kind')),
    sa.CheckConstraint("status IN ('submitted', 'approved', 'declined', 'disbursed', 'repaid', 'withdrawn')", name=op.f('ck_financing_applications_status')),
    sa.CheckConstraint('amount_minor > 0', name=op.f('ck_financing_applications_amount_positive')),
    sa.CheckConstraint('term_months > 0', name=op.f('ck_financing_applications_term_positive')),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_financing_applications_factory_id_factories')),
    sa.ForeignKeyConstraint(['lender_org_id'], ['organizations.id'], name=op.f('fk_financing_applications_lender_org_id_organizations')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_financing_applications_order_id_orders')),
    sa.ForeignKeyConstraint(['report_id'], ['credit_reports.id'], name=op.f('fk_financing_applications_report_id_credit_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_financing_applications')),
    sa.UniqueConstraint('public_id', name=op.f('uq_financing_applications_public_id'))
    )
    with op.batch_alter_table('financing_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_financing_applications_factory_id'), ['factory_id'], unique=False)
        batch_op.create_index('ix_financing_applications_lender_status', ['lender_org_id', 'status'], unique=False)

    op.create_table('financing_repayments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('salt', sa.String(length=64), nullable=True),
    sa.Column('ledger_index', sa.BigInteger(), nullable=True),
    sa.Column('committed', sa.JSON(), nullable=True),
    sa.CheckConstraint('amount_minor > 0', name=op.f('ck_financing_repayments_amount_positive')),
    sa.ForeignKeyConstraint(['application_id'], ['financing_applications.id'], name=op.f('fk_financing_repayments_application_id_financing_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_financing_repayments')),
    sa.UniqueConstraint('public_id', name=op.f('uq_financing_repayments_public_id'))
    )
    with op.batch_alter_table('financing_repayments', schema=None) as batch_op:
        batch_op.create_index('uq_financing_repayments_app_seq', ['application_id', 'seq'], unique=True)




def downgrade() -> None:

    with op.batch_alter_table('financing_repayments', schema=None) as batch_op:
        batch_op.drop_index('uq_financing_repayments_app_seq')

    op.drop_table('financing_repayments')
    with op.batch_alter_table('financing_applications', schema=None) as batch_op:
        batch_op.drop_index('ix_financing_applications_lender_status')
        batch_op.drop_index(batch_op.f('ix_financing_applications_factory_id'))

    op.drop_table('financing_applications')
    with op.batch_alter_table('credit_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_reports_lender_factory')
        batch_op.drop_index(batch_op.f('ix_credit_reports_factory_id'))

    op.drop_table('credit_reports')
    with op.batch_alter_table('credit_access_log', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_access_log_factory_at')

    op.drop_table('credit_access_log')
    with op.batch_alter_table('credit_consents', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_consents_lender_factory')
        batch_op.drop_index(batch_op.f('ix_credit_consents_factory_id'))

    op.drop_table('credit_consents')

