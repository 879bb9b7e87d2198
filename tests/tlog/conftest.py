"""Fixtures of the tlog tests: the app served over HTTP, its log key."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tlog_client, tlog_world

from tlog_world import Server  # noqa: E402


@pytest.fixture
def served(app):
    server = Server(app)
    yield server
    server.close()


@pytest.fixture
def log_vkey(app):
    from market.journal.ledger import get_ledger

    with app.app_context():
        return get_ledger().signer.verifier_key()
