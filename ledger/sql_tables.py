"""SQLAlchemy Core tables of the ledger (own ``MetaData``; every constraint named).

* ``ledger_head`` — exactly one row, never changed: the lock appenders take
  (``SELECT ... FOR UPDATE`` on PostgreSQL) so indices are gap-free and unique.
* ``ledger_entries`` — one row per entry: index, canonical entry bytes, leaf hash.
* ``ledger_nodes`` — every complete subtree hash of level >= 1, keyed
  ``(level, idx)``; level 0 is ``ledger_entries.leaf_hash``.  Written once when
  the subtree completes, so any proof needs O(log n) point reads.
* ``ledger_checkpoints`` — signed checkpoint notes, numbered ``seq``.
* ``ledger_anchors`` — anchor attempts and results; a status change is a new row.
* ``ledger_cosignatures`` — witness cosignature lines per checkpoint (migration 0032).

All but the cosignatures are append-only; ``ledger.sql_guard`` installs database triggers
refusing UPDATE, DELETE and TRUNCATE.  Migration ``0002_ledger`` mirrors this file.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    func,
)

# Every constraint carries its full name explicitly (same pattern as market's naming
# convention: pk_<table>, ck_<table>_<what>, fk_<table>_<col>_<referred>), so no convention here.
metadata = MetaData()

# BIGINT on PostgreSQL; INTEGER on SQLite so the key is the rowid (64-bit there anyway).
Index64 = BigInteger().with_variant(Integer(), "sqlite")

ANCHOR_STATUSES = ("submitted", "confirmed", "failed")

ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", SmallInteger, nullable=False, autoincrement=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("id", name="pk_ledger_head"),
    CheckConstraint("id = 1", name="ck_ledger_head_single_row"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("idx", Index64, nullable=False, autoincrement=False),
    Column("entry", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    # set by the database (one value per transaction on PostgreSQL) to keep appends lean
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.current_timestamp()),
    PrimaryKeyConstraint("idx", name="pk_ledger_entries"),
    CheckConstraint("idx >= 0", name="ck_ledger_entries_idx_non_negative"),
)

ledger_nodes = Table(
    "ledger_nodes",
    metadata,
    Column("level", SmallInteger, nullable=False, autoincrement=False),
    Column("idx", BigInteger, nullable=False, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
    PrimaryKeyConstraint("level", "idx", name="pk_ledger_nodes"),
    CheckConstraint("level >= 1 AND level < 64", name="ck_ledger_nodes_level_range"),
    sqlite_with_rowid=False,
)

ledger_checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("seq", Index64, nullable=False, autoincrement=False),
    Column("tree_size", BigInteger, nullable=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("verifier_key", Text, nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("seq", name="pk_ledger_checkpoints"),
    CheckConstraint("tree_size >= 0", name="ck_ledger_checkpoints_tree_size_non_negative"),
)

ledger_anchors = Table(
    "ledger_anchors",
    metadata,
    Column("seq", Index64, nullable=False, autoincrement=False),
    Column("checkpoint_seq", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("chain", String(200), nullable=True),
    Column("chain_id", BigInteger, nullable=True),
    Column("tx_hash", String(66), nullable=True),
    Column("block_number", BigInteger, nullable=True),
    Column("raw_tx", LargeBinary, nullable=True),
    Column("detail", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("seq", name="pk_ledger_anchors"),
    ForeignKeyConstraint(
        ["checkpoint_seq"], ["ledger_checkpoints.seq"],
        name="fk_ledger_anchors_checkpoint_seq_ledger_checkpoints",
    ),
    CheckConstraint(
        "status IN ('submitted', 'confirmed', 'failed')", name="ck_ledger_anchors_status_known"
    ),
)

ledger_cosignatures = Table(
    "ledger_cosignatures",
    metadata,
    # Witness cosignatures (C2SP tlog-cosignature) of a checkpoint, as the witness sent them.
    # Not under the append-only guard: each line is checked against the configured witness key
    # by every verifier, so an edited row only loses its cosignature.  Migration 0032.
    Column("checkpoint_seq", BigInteger, nullable=False, autoincrement=False),
    Column("witness", String(200), nullable=False),
    Column("key_id", String(8), nullable=False),
    Column("cosigned_at", BigInteger, nullable=False),  # the cosignature's POSIX timestamp
    Column("line", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("checkpoint_seq", "witness", "key_id", name="pk_ledger_cosignatures"),
    ForeignKeyConstraint(
        ["checkpoint_seq"], ["ledger_checkpoints.seq"],
        name="fk_ledger_cosignatures_checkpoint_seq_ledger_checkpoints",
    ),
)

APPEND_ONLY_TABLES = ("ledger_head", "ledger_entries", "ledger_nodes", "ledger_checkpoints", "ledger_anchors")
