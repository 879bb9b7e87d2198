"""The migrations are the only schema source: they build an empty database to exactly the
models, and every step downgrades and upgrades again."""
import subprocess
import sys
import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from market import migrate
from market.models import metadata
from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL


@pytest.fixture
def empty_url(tmp_path):
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield TEST_DATABASE_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _tables(url):
    engine = create_engine(url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_upgrade_from_empty_matches_the_models(empty_url):
    migrate.upgrade(empty_url)
    engine = create_engine(empty_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    # the ledger's tables belong to the ledger package's metadata: ignore them here
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name.startswith("ledger_"))]
    assert diff == []


def test_each_step_downgrades_and_upgrades_again(empty_url):
    cfg = migrate.alembic_config(empty_url)
    migrate.upgrade(empty_url)
    head_tables = _tables(empty_url)
    revisions = list(ScriptDirectory.from_config(cfg).walk_revisions())
    for rev in revisions:  # newest first
        command.downgrade(cfg, rev.down_revision or "base")
        command.upgrade(cfg, rev.revision)
        command.downgrade(cfg, rev.down_revision or "base")
    assert _tables(empty_url) <= {"alembic_version"}
    migrate.upgrade(empty_url)
    assert _tables(empty_url) == head_tables


def test_market_models_names_every_mapped_table():
    """Alembic and the schema test read `market.models`; a model module it forgets would pass
    here only when another test happened to import that module first."""
    script = (
        "import importlib, pkgutil, market, market.models as m\n"
        "before = set(m.metadata.tables)\n"
        "for info in pkgutil.walk_packages(market.__path__, 'market.'):\n"
        "    importlib.import_module(info.name)\n"
        "print(sorted(set(m.metadata.tables) - before))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"tables missing from market/models.py: {out.stdout}"
