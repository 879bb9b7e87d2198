"""Shared helpers of the ledger benchmarks: a fresh database and believable events."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, event, text  # noqa: E402

from ledger.events import Event  # noqa: E402
from ledger.sql_store import install  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def _sqlite_pragmas(dbapi_conn, _record):
    """The marketplace's SQLite settings (market/db.py): WAL journal, synchronous=NORMAL."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


@contextlib.contextmanager
def fresh_database(kind: str, keep: str | None = None):
    """Yield ``(engine, url)`` of an empty ledger: ``kind`` is "sqlite" or a PostgreSQL URL.

    SQLite: a file (``keep`` names one to reuse across runs); PostgreSQL: a new schema,
    dropped afterwards.
    """
    if kind == "sqlite":
        path = Path(keep) if keep else Path(tempfile.mkdtemp()) / "ledger_bench.db"
        url = f"sqlite:///{path}"
        new = not path.exists()
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        if new:
            with engine.begin() as conn:
                install(conn)
        try:
            yield engine, url
        finally:
            engine.dispose()
            if not keep:
                path.unlink(missing_ok=True)
        return
    schema = keep or f"ledger_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(kind)
    with admin.begin() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}).first()
        if not exists:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{kind}?options={quote(f'-csearch_path={schema}')}"
    engine = create_engine(url)
    if not exists:
        with engine.begin() as conn:
            install(conn)
    try:
        yield engine, url
    finally:
        engine.dispose()
        if not keep:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def make_events(n: int, start: int = 0) -> list[Event]:
    """Operation / QC / shipment events of a few hundred bytes each."""
    kinds = [
        ("operation.completed", {"bizStep": "assembling", "disposition": "in_progress"}),
        ("qc.recorded", {"bizStep": "inspecting", "disposition": "conformant"}),
        ("shipment.shipped", {"bizStep": "shipping", "disposition": "in_transit",
                              "bizTransactionList": [{"type": "desadv", "bizTransaction": "DESADV-1"}]}),
    ]
    out = []
    for i in range(start, start + n):
        kind, why = kinds[i % 3]
        out.append(Event(
            type=kind, org=f"factory-{i % 97}", when=T0 + timedelta(seconds=i),
            what={"order": f"ord_{i // 10:08d}", "lot": f"LOT-{i // 5:07d}", "quantity": 10 + i % 50},
            where={"readPoint": f"machine-{i % 300}", "bizLocation": f"site-{i % 40}"},
            why=why, data={"operator": f"op-{i % 13}", "seq": i},
        ))
    return out


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))
