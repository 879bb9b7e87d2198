"""updated_at on quotes, lots and capacity windows (bookings) for incremental sync

The API lists them with `updated_since`, ordered by (updated_at, id); orders and payments
already carry updated_at. Backfilled from the latest moment each row is known to have changed.

Revision ID: 0037_updated_at_for_sync
Revises: 0036_device_mqtt_credentials

"""
from alembic import op
import sqlalchemy as sa


revision = '0037_updated_at_for_sync'
down_revision = '0036_device_mqtt_credentials'
branch_labels = None
depends_on = None

# table -> the SQL of its rows' last known change
_BACKFILL = {
    "quotes": "created_at",
    # a lot is created, then shipped, then delivered: the latest that happened
    "lots": "COALESCE(delivered_at, shipped_at, created_at)",
    "capacity_windows": "created_at",
}


def upgrade() -> None:
    for table, last_change in _BACKFILL.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        op.execute(f"UPDATE {table} SET updated_at = {last_change}")
        with op.batch_alter_table(table) as batch:
            batch.alter_column('updated_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        op.create_index(f'ix_{table}_updated_at_id', table, ['updated_at', 'id'])


def downgrade() -> None:
    for table in reversed(list(_BACKFILL)):
        op.drop_index(f'ix_{table}_updated_at_id', table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column('updated_at')
