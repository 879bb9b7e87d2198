"""Inclusion-proof latency from the database at 1M entries: p50 / p99.

Run: ``.venv/bin/python bench/ledger_proofs.py [--entries N] [--database sqlite|URL] [--keep PATH|SCHEMA]
[--rounds R] [--proofs P]``.
Filling 1M entries takes about a minute on SQLite and PostgreSQL; ``--keep``
reuses the filled database (``bench/ledger_audit.py`` can use the same one).
Each proof is built by ``SqlLedgerStore.inclusion_proof`` (one query for the
O(log n) subtree hashes, nothing cached between proofs) and verified against
the root.  Baseline in the same run: one primary-key lookup of an entry (the
cheapest read), timed right after each proof, so its p99 shows how much of the
tail is the machine (scheduling on a shared host) rather than the proof.
``R`` rounds of ``P`` fresh random indices each (after a warm-up on other
indices); the summary gives the min and median over rounds of each figure.
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


def fill(engine, store: SqlLedgerStore, n: int, batch: int = 5000, ledger=None, checkpoint_every: int = 0) -> None:
    """Append entries up to ``n``; with ``ledger``, sign a checkpoint every ``checkpoint_every`` entries."""
    with engine.connect() as conn:
        have = store.size(conn)
    start = time.perf_counter()
    for i in range(have, n, batch):
        with engine.begin() as conn:
            store.append(conn, make_events(min(batch, n - i), start=i))
            done = min(n, i + batch)
            if ledger is not None and checkpoint_every and (done % checkpoint_every == 0 or done == n):
                ledger.sign_checkpoint(conn)
    if n > have:
        took = time.perf_counter() - start
        print(f"filled {n - have} entries in {took:.1f} s ({(n - have) / took:,.0f} events/s incl. event construction)")


def percentiles(samples: list[float]) -> tuple[float, float]:
    qs = statistics.quantiles(samples, n=100)
    return qs[49], qs[98]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=2000, help="random indices per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database", default="sqlite", help='"sqlite" or a PostgreSQL URL')
    parser.add_argument("--keep", help="SQLite file / PostgreSQL schema to create once and reuse")
    args = parser.parse_args()
    store = SqlLedgerStore()
    rng = random.Random(7)
    name = "sqlite" if args.database == "sqlite" else "postgresql"
    rounds = []
    with fresh_database(args.database, keep=args.keep) as (engine, _url):
        fill(engine, store, args.entries)
        with engine.connect() as conn:
            size = store.size(conn)
            root = store.root(conn, size)
            for _ in range(200):  # warm the database cache the way a running server would be
                store.inclusion_proof(conn, rng.randrange(size), size)
            for r in range(args.rounds):
                indices = [rng.randrange(size) for _ in range(args.proofs)]
                proof_ms, lookup_ms = [], []
                for i in indices:
                    t = time.perf_counter()
                    proof = store.inclusion_proof(conn, i, size)
                    proof_ms.append((time.perf_counter() - t) * 1000)
                    t = time.perf_counter()
                    entry = conn.execute(select(ledger_entries.c.entry).where(ledger_entries.c.idx == i)).scalar()
                    lookup_ms.append((time.perf_counter() - t) * 1000)
                    check_inclusion(leaf_hash(bytes(entry)), i, size, proof, root)
                (p50, p99), (b50, b99) = percentiles(proof_ms), percentiles(lookup_ms)
                rounds.append((p50, p99, b50, b99))
                print(f"{name}: round {r + 1}: proof p50 {p50:.3f} ms, p99 {p99:.3f} ms; "
                      f"baseline read p50 {b50:.3f} ms, p99 {b99:.3f} ms")
    cols = list(zip(*rounds))
    lo = [min(c) for c in cols]
    med = [statistics.median(c) for c in cols]
    print(f"{name}: inclusion proof at {size:,} entries, {args.rounds} rounds x {args.proofs} random indices, "
          f"all verified: p50 min {lo[0]:.3f} / median {med[0]:.3f} ms, p99 min {lo[1]:.3f} / median {med[1]:.3f} ms "
          f"(target p99 <= 2 ms)")
    print(f"{name}: baseline single-row primary-key read: p50 min {lo[2]:.3f} / median {med[2]:.3f} ms, "
          f"p99 min {lo[3]:.3f} / median {med[3]:.3f} ms; proof/read p50 ratio {med[0] / med[2]:.1f}x")


if __name__ == "__main__":
    main()
