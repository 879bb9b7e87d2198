"""telemetry ingest: dirty (machine, day) marks, so aggregates are recomputed by the rollup
instead of inside every ingest request

Revision ID: 0010_telemetry_ingest
Revises: 0009_credit_more
"""
from alembic import op
import sqlalchemy as sa


revision = "0010_telemetry_ingest"
down_revision = "0009_credit_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telemetry_dirty_days",
        sa.Column("machine_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("factory_id", sa.Integer(), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["factory_id"], ["factories.id"], name=op.f("fk_telemetry_dirty_days_factory_id_factories")),
        sa.ForeignKeyConstraint(["machine_id"], ["machines.id"], name=op.f("fk_telemetry_dirty_days_machine_id_machines")),
        sa.PrimaryKeyConstraint("machine_id", "day", name="pk_telemetry_dirty_days"),
    )
    op.create_index("ix_telemetry_dirty_days_factory", "telemetry_dirty_days", ["factory_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_telemetry_dirty_days_factory", table_name="telemetry_dirty_days")
    op.drop_table("telemetry_dirty_days")
