"""Inclusion-proof latency from the database at 1M entries: p50 / p99.

Run: ``.venv/bin/python bench/ledger_proofs.py [--entries N] [--database sqlite|URL] [--keep PATH|SCHEMA]``.
Filling 1M entries takes about a minute on SQLite, a few on PostgreSQL; ``--keep``
reuses the filled database (``bench/ledger_audit.py`` can use the same one).
Each proof is built by ``SqlLedgerStore.inclusion_proof`` (size check + two
point queries for the O(log n) subtree hashes) and verified against the root.
Baseline in the same run: one primary-key lookup of an entry (the cheapest read).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from ledger_bench_db import fresh_database, make_events
from sqlalchemy import select

from ledger.hashing import leaf_hash
from ledger.sql_store import SqlLedgerStore
from ledger.sql_tables import ledger_entries
from ledger.verify import check_inclusion


def fill(engine, store: SqlLedgerStore, n: int, batch: int = 5000) -> None:
    with engine.connect() as conn:
        have = store.size(conn)
    start = time.perf_counter()
    for i in range(have, n, batch):
        with engine.begin() as conn:
            store.append(conn, make_events(min(batch, n - i), start=i))
    if n > have:
        took = time.perf_counter() - start
        print(f"filled {n - have} entries in {took:.1f} s ({(n - have) / took:,.0f} events/s incl. event construction)")


def percentiles(samples: list[float]) -> tuple[float, float]:
    qs = statistics.quantiles(samples, n=100)
    return qs[49], qs[98]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=5000)
    parser.add_argument("--database", default="sqlite", help='"sqlite" or a PostgreSQL URL')
    parser.add_argument("--keep", help="SQLite file / PostgreSQL schema to create once and reuse")
    args = parser.parse_args()
    store = SqlLedgerStore()
    rng = random.Random(7)
    with fresh_database(args.database, keep=args.keep) as (engine, _url):
        fill(engine, store, args.entries)
        with engine.connect() as conn:
            size = store.size(conn)
            root = store.root(conn, size)
            indices = [rng.randrange(size) for _ in range(args.proofs)]
            for i in indices[:200]:  # warm the cache the way a running server would be
                store.inclusion_proof(conn, i, size)
            proof_ms, lookup_ms = [], []
            for i in indices:
                t = time.perf_counter()
                proof = store.inclusion_proof(conn, i, size)
                proof_ms.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                entry = conn.execute(select(ledger_entries.c.entry).where(ledger_entries.c.idx == i)).scalar()
                lookup_ms.append((time.perf_counter() - t) * 1000)
                check_inclusion(leaf_hash(bytes(entry)), i, size, proof, root)
    name = "sqlite" if args.database == "sqlite" else "postgresql"
    p50, p99 = percentiles(proof_ms)
    b50, b99 = percentiles(lookup_ms)
    print(f"{name}: inclusion proof at {size:,} entries over {len(indices)} random indices: "
          f"p50 {p50:.3f} ms, p99 {p99:.3f} ms (target p99 <= 2 ms); all verified")
    print(f"{name}: baseline single-row primary-key read: p50 {b50:.3f} ms, p99 {b99:.3f} ms; "
          f"proof/read p50 ratio {p50 / b50:.1f}x")


if __name__ == "__main__":
    main()
