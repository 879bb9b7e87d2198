"""production: lots, operations, QC results; quote share commitments

Revision ID: 0005_production
Revises: 0004_quotes
Create Date: 2026-11-22 04:46:24.416148
"""
from alembic import op
import sqlalchemy as sa

revision = '0005_production'
down_revision = '0004_quotes'
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table('lots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('trace_code', sa.String(length=16), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ledger_index', sa.Integer(), nullable=True),
    sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shipped_by_factory_id', sa.Integer(), nullable=True),
    sa.Column('carrier', sa.String(length=100), nullable=False),
    sa.Column('tracking_ref', sa.String(length=100), nullable=False),
    sa.Column('ship_ledger_index', sa.Integer(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivery_ledger_index', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('in_production', 'shipped', 'delivered')", name=op.f('ck_lots_status')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_lots_quantity_positive')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_lots_order_id_orders')),
    sa.ForeignKeyConstraint(['shipped_by_factory_id'], ['factories.id'], name=op.f('fk_lots_shipped_by_factory_id_factories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lots')),
    sa.UniqueConstraint('public_id', name=op.f('uq_lots_public_id')),
    sa.UniqueConstraint('trace_code', name=op.f('uq_lots_trace_code'))
    )
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lots_order_id'), ['order_id'], unique=False)

    op.create_table('lot_operations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('process_code', sa.String(length=64), nullable=False),
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('machine_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('start_ledger_index', sa.Integer(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('good', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('finish_ledger_index', sa.Integer(), nullable=True),
    sa.CheckConstraint('good >= 0 AND rejected >= 0', name=op.f('ck_lot_operations_counts_non_negative')),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_lot_operations_factory_id_factories')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_lot_operations_lot_id_lots')),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_lot_operations_machine_id_machines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot_operations')),
    sa.UniqueConstraint('lot_id', 'seq', name=op.f('uq_lot_operations_lot_id_seq'))
    )
    with op.batch_alter_table('lot_operations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lot_operations_factory_id'), ['factory_id'], unique=False)

    op.create_table('qc_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('operation_seq', sa.Integer(), nullable=True),
    sa.Column('result', sa.String(length=4), nullable=False),
    sa.Column('measurements', sa.JSON(), nullable=False),
    sa.Column('inspector', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ledger_index', sa.Integer(), nullable=True),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("result IN ('pass', 'fail')", name=op.f('ck_qc_results_result')),
    sa.ForeignKeyConstraint(['corrects_id'], ['qc_results.id'], name=op.f('fk_qc_results_corrects_id_qc_results')),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_qc_results_factory_id_factories')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_qc_results_lot_id_lots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qc_results')),
    sa.UniqueConstraint('public_id', name=op.f('uq_qc_results_public_id'))
    )
    with op.batch_alter_table('qc_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qc_results_factory_id'), ['factory_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_qc_results_lot_id'), ['lot_id'], unique=False)

    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('share_salts', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column('accepted_ledger_index', sa.Integer(), nullable=True))

def downgrade() -> None:
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.drop_column('accepted_ledger_index')
        batch_op.drop_column('share_salts')

    with op.batch_alter_table('qc_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qc_results_lot_id'))
        batch_op.drop_index(batch_op.f('ix_qc_results_factory_id'))

    op.drop_table('qc_results')
    with op.batch_alter_table('lot_operations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lot_operations_factory_id'))

    op.drop_table('lot_operations')
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lots_order_id'))

    op.drop_table('lots')
