"""Fixtures: a fresh ledger database per test, SQLite by default, PostgreSQL on request.

``TEST_DATABASE_URL`` unset → a new SQLite file under ``tmp_path``.
``TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test`` → a new,
randomly named schema per test (``search_path`` set through the URL's
``options``), dropped afterwards, so these tests never touch the app's tables.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).parent))  # ledger_reference, ledger_fixtures

from ledger.log import Ledger  # noqa: E402
from ledger.signing import NoteSigner  # noqa: E402
from ledger.sql_store import SqlLedgerStore, install  # noqa: E402
from ledger_fixtures import ORIGIN, make_events  # noqa: E402


@pytest.fixture
def database_url(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    schema = f"ledger_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def engine(database_url):
    eng = create_engine(database_url)
    with eng.begin() as conn:
        install(conn)
    yield eng
    eng.dispose()


@pytest.fixture
def is_postgres(engine):
    return engine.dialect.name == "postgresql"


@pytest.fixture
def store():
    return SqlLedgerStore()


@pytest.fixture
def signer():
    return NoteSigner(ORIGIN, Ed25519PrivateKey.generate())


@pytest.fixture
def ledger(store, signer):
    return Ledger(store, signer)


@pytest.fixture
def events():
    return make_events
