"""materials: material lots, lot inputs (genealogy), quality documents, QC sampling plans,
documents an order requires before shipment

Revision ID: 0024_materials
Revises: 0023_event_once

The lead re-chains this at merge.
"""
from alembic import op
import sqlalchemy as sa


revision = '0024_materials'
down_revision = '0023_event_once'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('material_lots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('material', sa.String(length=100), nullable=False),
    sa.Column('grade', sa.String(length=100), nullable=False),
    sa.Column('heat_number', sa.String(length=100), nullable=False),
    sa.Column('supplier', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('quantity_milli', sa.BigInteger(), nullable=False),
    sa.Column('remaining_milli', sa.BigInteger(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.Column('ledger_index', sa.Integer(), nullable=True),
    sa.CheckConstraint("source IN ('buyer_supplied', 'factory_procured')", name=op.f('ck_material_lots_source')),
    sa.CheckConstraint("unit IN ('kg', 't', 'g', 'm', 'mm', 'm2', 'l', 'pcs')", name=op.f('ck_material_lots_unit')),
    sa.CheckConstraint("(source = 'buyer_supplied') = (order_id IS NOT NULL)",
                       name=op.f('ck_material_lots_buyer_supplied_has_order')),
    sa.CheckConstraint('quantity_milli > 0', name=op.f('ck_material_lots_quantity_positive')),
    sa.CheckConstraint('remaining_milli >= 0 AND remaining_milli <= quantity_milli',
                       name=op.f('ck_material_lots_remaining_in_range')),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_material_lots_factory_id_factories')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_material_lots_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_lots')),
    sa.UniqueConstraint('public_id', name=op.f('uq_material_lots_public_id'))
    )
    op.create_index(op.f('ix_material_lots_factory_id'), 'material_lots', ['factory_id'], unique=False)
    op.create_index(op.f('ix_material_lots_order_id'), 'material_lots', ['order_id'], unique=False)
    op.create_table('lot_inputs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('material_lot_id', sa.Integer(), nullable=True),
    sa.Column('input_lot_id', sa.Integer(), nullable=True),
    sa.Column('quantity_milli', sa.BigInteger(), nullable=True),
    sa.Column('pieces', sa.Integer(), nullable=True),
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.Column('ledger_index', sa.Integer(), nullable=True),
    sa.CheckConstraint("(material_lot_id IS NOT NULL AND input_lot_id IS NULL AND quantity_milli > 0 "
                       "AND pieces IS NULL) OR (material_lot_id IS NULL AND input_lot_id IS NOT NULL "
                       "AND pieces > 0 AND quantity_milli IS NULL)", name=op.f('ck_lot_inputs_one_input')),
    sa.CheckConstraint('input_lot_id IS NULL OR input_lot_id <> lot_id', name=op.f('ck_lot_inputs_not_itself')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_lot_inputs_lot_id_lots')),
    sa.ForeignKeyConstraint(['material_lot_id'], ['material_lots.id'], name=op.f('fk_lot_inputs_material_lot_id_material_lots')),
    sa.ForeignKeyConstraint(['input_lot_id'], ['lots.id'], name=op.f('fk_lot_inputs_input_lot_id_lots')),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_lot_inputs_factory_id_factories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot_inputs')),
    sa.UniqueConstraint('public_id', name=op.f('uq_lot_inputs_public_id'))
    )
    op.create_index(op.f('ix_lot_inputs_lot_id'), 'lot_inputs', ['lot_id'], unique=False)
    op.create_index(op.f('ix_lot_inputs_material_lot_id'), 'lot_inputs', ['material_lot_id'], unique=False)
    op.create_index(op.f('ix_lot_inputs_input_lot_id'), 'lot_inputs', ['input_lot_id'], unique=False)
    op.create_table('lot_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('material_lot_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=100), nullable=False),
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.Column('ledger_index', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('coc', 'fai', 'material_cert', 'inspection_report')", name=op.f('ck_lot_documents_kind')),
    sa.CheckConstraint('(lot_id IS NULL) <> (material_lot_id IS NULL)', name=op.f('ck_lot_documents_one_subject')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_lot_documents_lot_id_lots')),
    sa.ForeignKeyConstraint(['material_lot_id'], ['material_lots.id'], name=op.f('fk_lot_documents_material_lot_id_material_lots')),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_lot_documents_factory_id_factories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot_documents')),
    sa.UniqueConstraint('public_id', name=op.f('uq_lot_documents_public_id')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_lot_documents_storage_key'))
    )
    op.create_index(op.f('ix_lot_documents_lot_id'), 'lot_documents', ['lot_id'], unique=False)
    op.create_index(op.f('ix_lot_documents_material_lot_id'), 'lot_documents', ['material_lot_id'], unique=False)
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consumed_pieces', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_check_constraint(op.f('ck_lots_consumed_in_range'),
                                         'consumed_pieces >= 0 AND consumed_pieces <= quantity')
    with op.batch_alter_table('qc_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sampling', sa.JSON(), nullable=True))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('required_documents', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('required_documents')
    with op.batch_alter_table('qc_results', schema=None) as batch_op:
        batch_op.drop_column('sampling')
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_lots_consumed_in_range'), type_='check')
        batch_op.drop_column('consumed_pieces')
    op.drop_table('lot_documents')
    op.drop_table('lot_inputs')
    op.drop_table('material_lots')
