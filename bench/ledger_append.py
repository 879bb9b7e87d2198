"""Batch append throughput (SQLite and PostgreSQL) against raw hashlib over the same bytes.

Run: ``.venv/bin/python bench/ledger_append.py [--events N] [--batch B] [--postgres URL|--no-postgres]``.
Prints events/s per database and the ratio of append time to hashing the stored
entry bytes (leaf hashes + RFC 6962 tree) with plain hashlib in the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import time

from ledger_bench_db import PG_DEFAULT, fresh_database, make_events
from sqlalchemy import text

from ledger.sql_store import SqlLedgerStore


def raw_hash_seconds(entries: list[bytes]) -> float:
    """Leaf hash of every entry plus the interior nodes, plain hashlib: the unavoidable work."""
    sha = hashlib.sha256
    start = time.perf_counter()
    level = [sha(b"\x00" + e).digest() for e in entries]
    while len(level) > 1:
        nxt = [sha(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return time.perf_counter() - start


def run(kind: str, n: int, batch: int) -> None:
    events = make_events(n)
    store = SqlLedgerStore()
    with fresh_database(kind) as (engine, _url):
        start = time.perf_counter()
        for i in range(0, n, batch):
            with engine.begin() as conn:
                store.append(conn, events[i:i + batch])
        elapsed = time.perf_counter() - start
        with engine.connect() as conn:
            entries = [bytes(r[0]) for r in conn.execute(text("SELECT entry FROM ledger_entries ORDER BY idx"))]
    hashing = raw_hash_seconds(entries)
    avg = sum(map(len, entries)) / len(entries)
    name = "sqlite" if kind == "sqlite" else "postgresql"
    print(f"{name:10s} append {n} events in batches of {batch}: {elapsed:.2f} s = {n / elapsed:,.0f} events/s "
          f"(entries avg {avg:.0f} B, includes encoding + commit per batch)")
    print(f"{name:10s} raw hashlib leaf+tree hashing of the same bytes: {hashing:.3f} s = {n / hashing:,.0f} /s; "
          f"append/hash time ratio {elapsed / hashing:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--postgres", default=PG_DEFAULT)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    run("sqlite", args.events, args.batch)
    if not args.no_postgres:
        run(args.postgres, args.events, args.batch)


if __name__ == "__main__":
    main()
