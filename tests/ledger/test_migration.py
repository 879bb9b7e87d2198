"""Migration 0002_ledger creates exactly the tables of ``ledger.sql_tables`` and the guard."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

from ledger.sql_store import SqlLedgerStore
from ledger.sql_tables import metadata

MIGRATION = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0002_ledger.py"


def load_migration():
    spec = importlib.util.spec_from_file_location("migration_0002_ledger", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def bare_engine(database_url):
    eng = create_engine(database_url)
    yield eng
    eng.dispose()


def run(engine, step):
    with engine.begin() as conn:
        with Operations.context(MigrationContext.configure(conn)):
            step()


def test_migration_chains_onto_the_core_revision():
    module = load_migration()
    assert (module.revision, module.down_revision) == ("0002_ledger", "0001_core")


def test_upgrade_matches_the_table_definitions_and_installs_the_guard(bare_engine):
    migration = load_migration()
    run(bare_engine, migration.upgrade)
    with bare_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    # ledger_cosignatures came later (migration 0032_tlog_cosignatures)
    assert [d for d in diff if d[0] != "add_table"] == []
    assert [d[1].name for d in diff if d[0] == "add_table"] == ["ledger_cosignatures"]
    with bare_engine.begin() as conn:
        SqlLedgerStore().append(conn, [])
        from ledger_fixtures import make_events

        SqlLedgerStore().append(conn, make_events(3))
    with pytest.raises(DBAPIError, match="append-only"):
        with bare_engine.begin() as conn:
            conn.execute(text("DELETE FROM ledger_entries"))


def test_downgrade_removes_every_ledger_table(bare_engine):
    migration = load_migration()
    run(bare_engine, migration.upgrade)
    run(bare_engine, migration.downgrade)
    assert not [t for t in inspect(bare_engine).get_table_names() if t.startswith("ledger_")]
