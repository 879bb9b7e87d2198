"""ledger witness cosignatures (C2SP tlog-cosignature lines per checkpoint)

Revision ID: 0032_tlog_cosignatures
Revises: 0031_finance_contract_transfers

Mirrors ``ledger_cosignatures`` in ``ledger/sql_tables.py``.
"""
import sqlalchemy as sa
from alembic import op

revision = "0032_tlog_cosignatures"
down_revision = "0031_finance_contract_transfers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_cosignatures",
        sa.Column("checkpoint_seq", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("witness", sa.String(200), nullable=False),
        sa.Column("key_id", sa.String(8), nullable=False),
        sa.Column("cosigned_at", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("checkpoint_seq", "witness", "key_id", name="pk_ledger_cosignatures"),
        sa.ForeignKeyConstraint(["checkpoint_seq"], ["ledger_checkpoints.seq"],
                                name="fk_ledger_cosignatures_checkpoint_seq_ledger_checkpoints"),
    )


def downgrade() -> None:
    op.drop_table("ledger_cosignatures")
