"""ledger tables: entries, subtree hashes, checkpoints, anchors, head lock; append-only guard

Revision ID: 0002_ledger
Revises: 0001_core

Mirrors ``ledger/sql_tables.py``; the guard triggers come from
``ledger.sql_guard.append_only_guard_ddl``.
"""

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

from ledger.sql_guard import append_only_guard_ddl, drop_append_only_guard_ddl

revision = "0002_ledger"
down_revision = "0001_core"
branch_labels = None
depends_on = None

Index64 = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    head = op.create_table(
        "ledger_head",
        sa.Column("id", sa.SmallInteger(), nullable=False, autoincrement=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_head"),
        sa.CheckConstraint("id = 1", name="ck_ledger_head_single_row"),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("idx", Index64, nullable=False, autoincrement=False),
        sa.Column("entry", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.current_timestamp()),
        sa.PrimaryKeyConstraint("idx", name="pk_ledger_entries"),
        sa.CheckConstraint("idx >= 0", name="ck_ledger_entries_idx_non_negative"),
    )
    op.create_table(
        "ledger_nodes",
        sa.Column("level", sa.SmallInteger(), nullable=False, autoincrement=False),
        sa.Column("idx", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name="pk_ledger_nodes"),
        sa.CheckConstraint("level >= 1 AND level < 64", name="ck_ledger_nodes_level_range"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("seq", Index64, nullable=False, autoincrement=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("verifier_key", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_ledger_checkpoints"),
        sa.CheckConstraint("tree_size >= 0", name="ck_ledger_checkpoints_tree_size_non_negative"),
    )
    op.create_table(
        "ledger_anchors",
        sa.Column("seq", Index64, nullable=False, autoincrement=False),
        sa.Column("checkpoint_seq", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("chain", sa.String(200), nullable=True),
        sa.Column("chain_id", sa.BigInteger(), nullable=True),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("raw_tx", sa.LargeBinary(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_ledger_anchors"),
        sa.ForeignKeyConstraint(["checkpoint_seq"], ["ledger_checkpoints.seq"],
                                name="fk_ledger_anchors_checkpoint_seq_ledger_checkpoints"),
        sa.CheckConstraint("status IN ('submitted', 'confirmed', 'failed')", name="ck_ledger_anchors_status_known"),
    )
    op.bulk_insert(head, [{"id": 1, "created_at": datetime.now(timezone.utc)}])
    for statement in append_only_guard_ddl(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_append_only_guard_ddl(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table("ledger_anchors")
    op.drop_table("ledger_checkpoints")
    op.drop_table("ledger_nodes")
    op.drop_table("ledger_entries")
    op.drop_table("ledger_head")
