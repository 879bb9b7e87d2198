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
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).parent))  # ledger_reference, ledger_helpers

from ledger.events import Event  # noqa: E402
from ledger.log import Ledger  # noqa: E402
from ledger.signing import NoteSigner  # noqa: E402
from ledger.sql_store import SqlLedgerStore, install  # noqa: E402

ORIGIN = "smm.test/ledger"


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


T0 = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)


def make_events(n: int, start: int = 0) -> list[Event]:
    """``n`` believable QC events for lots L<start>..L<start+n-1>."""
    return [
        Event(
            type="qc.recorded",
            org=f"factory-{i % 3}",
            when=T0 + timedelta(minutes=i),
            what={"lot": f"L{i}", "partNumber": "PN-7"},
            where={"readPoint": f"machine-{i % 5}"},
            why={"bizStep": "inspecting", "disposition": "conformant" if i % 7 else "non_conformant"},
            data={"passed": bool(i % 7), "diameter_um": 12000 + i},
        )
        for i in range(start, start + n)
    ]


@pytest.fixture
def events():
    return make_events
