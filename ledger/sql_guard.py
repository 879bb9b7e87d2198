"""Database-level append-only guard for the ledger tables.

PostgreSQL: one PL/pgSQL function and, per table, a statement-level trigger
refusing UPDATE, DELETE and TRUNCATE (SQLSTATE 42501, insufficient_privilege).
SQLite: BEFORE UPDATE and BEFORE DELETE triggers that ``RAISE(ABORT, ...)``
(SQLite has no TRUNCATE; ``DELETE`` without ``WHERE`` fires the trigger too).

Only a role that may ``DROP TRIGGER`` (the schema owner) can get around it, and
that is exactly what ``python -m ledger audit`` and the signed checkpoints are
there to catch.
"""

from __future__ import annotations

from ledger.sql_tables import APPEND_ONLY_TABLES

_PG_FUNCTION = """\
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$"""


def append_only_guard_ddl(dialect_name: str) -> list[str]:
    """Return the statements installing the append-only triggers for ``dialect_name``.

    Preconditions: ``dialect_name`` is ``"postgresql"`` or ``"sqlite"``.
    """
    if dialect_name == "postgresql":
        ddl = [_PG_FUNCTION]
        for table in APPEND_ONLY_TABLES:
            ddl.append(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()"
            )
        return ddl
    if dialect_name == "sqlite":
        ddl = []
        for table in APPEND_ONLY_TABLES:
            for op in ("UPDATE", "DELETE"):
                ddl.append(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END"
                )
        return ddl
    raise ValueError(f"no append-only guard for dialect {dialect_name!r}; use postgresql or sqlite")


def drop_append_only_guard_ddl(dialect_name: str) -> list[str]:
    """Return the statements removing the guard (migration downgrade, tamper tests)."""
    if dialect_name == "postgresql":
        ddl = [f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}" for t in APPEND_ONLY_TABLES]
        return ddl + ["DROP FUNCTION IF EXISTS ledger_refuse_change()"]
    if dialect_name == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {t}_no_{op} " for t in APPEND_ONLY_TABLES for op in ("update", "delete")]
    raise ValueError(f"no append-only guard for dialect {dialect_name!r}; use postgresql or sqlite")
