"""capacity search reads windows by machine: (machine_id, status, start_at, end_at)

Revision ID: 0003_search_index
Revises: 0002_ledger
"""
from alembic import op

revision = "0003_search_index"
down_revision = "0002_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_capacity_windows_machine_status_start", "capacity_windows",
                    ["machine_id", "status", "start_at", "end_at"])
    op.drop_index("ix_capacity_windows_machine_start", table_name="capacity_windows")


def downgrade() -> None:
    op.create_index("ix_capacity_windows_machine_start", "capacity_windows", ["machine_id", "start_at"])
    op.drop_index("ix_capacity_windows_machine_status_start", table_name="capacity_windows")
