"""Child process of the crash test: append batches forever, print each committed batch."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from sqlalchemy import create_engine, event  # noqa: E402

from ledger_fixtures import make_events  # noqa: E402
from ledger.sql_store import SqlLedgerStore  # noqa: E402


def main(url: str) -> None:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _busy(dbapi_conn, _record):
            dbapi_conn.execute("PRAGMA busy_timeout = 30000")
    store = SqlLedgerStore()
    n = 0
    while True:
        with engine.begin() as conn:
            appended = store.append(conn, make_events(50, start=n))
        n += 50
        print(f"ACK {appended[-1].index}", flush=True)  # only after the commit returned


if __name__ == "__main__":
    main(sys.argv[1])
