"""Full audit of N stored entries against raw hashlib hashing of the same bytes.

Run: ``.venv/bin/python bench/ledger_audit.py [--entries N] [--database sqlite|URL] [--keep PATH|SCHEMA]``.
The baseline reads the same entry bytes from the database once, untimed, and
times only plain hashlib: (a) one SHA-256 per entry (leaf hashes), and (b) leaf hashes
plus the RFC 6962 interior nodes (what any verifier of the tree must compute).
The audit figure includes reading entries and subtree hashes from the database,
the hash chain, every stored node and every checkpoint (the fill signs one every
100k entries, and the audit checks their signatures).  A database kept from
before checkpoints were part of the fill (``--keep``) has none: start a new one.
Audit and raw hashing run ``--repeat`` times, alternating in one process; the
ratio is given min over min and as the median of the paired runs (shared,
noisy machine).  Hashing runs on one core in both; the audit's helper thread only
has the database read the next page meanwhile (docs/ledger.md).
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time

from ledger_bench_db import fresh_database
from ledger_proofs import fill
from sqlalchemy import select

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.audit import audit
from ledger.log import Ledger
from ledger.signing import NoteSigner
from ledger.sql_store import SqlLedgerStore
from ledger.sql_tables import ledger_entries


def read_entries(engine, page: int = 50_000) -> list[list[bytes]]:
    """The stored entry bytes, page by page (read once, untimed)."""
    pages: list[list[bytes]] = []
    after = -1
    e = ledger_entries.c
    with engine.connect() as conn:
        while True:
            rows = conn.execute(select(e.idx, e.entry).where(e.idx > after).order_by(e.idx).limit(page)).all()
            if not rows:
                return pages
            after = rows[-1][0]
            pages.append([bytes(r[1]) for r in rows])


def raw_hashing(pages: list[list[bytes]]) -> tuple[float, float]:
    """Seconds of plain hashlib for (a) the leaf hashes, (b) leaves plus the RFC 6962 interior nodes."""
    sha = hashlib.sha256
    leaf_time = 0.0
    leaves: list[bytes] = []
    for chunk in pages:
        t = time.perf_counter()
        leaves.extend(sha(b"\x00" + x).digest() for x in chunk)
        leaf_time += time.perf_counter() - t
    t = time.perf_counter()
    level = leaves
    while len(level) > 1:
        nxt = [sha(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return leaf_time, leaf_time + (time.perf_counter() - t)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--database", default="sqlite", help='"sqlite" or a PostgreSQL URL')
    parser.add_argument("--keep", help="SQLite file / PostgreSQL schema to create once and reuse")
    parser.add_argument("--repeat", type=int, default=5, help="audit and raw hashing runs, alternating")
    args = parser.parse_args()
    store = SqlLedgerStore()
    # A fixed bench key, so a kept database audits with the same public key on every run.
    signer = NoteSigner("bench.example/ledger", Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
    with fresh_database(args.database, keep=args.keep) as (engine, _url):
        fill(engine, store, args.entries, ledger=Ledger(store, signer), checkpoint_every=100_000)
        pages = read_entries(engine)
        total = sum(len(x) for chunk in pages for x in chunk)
        runs = []  # (audit, raw leaves, raw leaves+tree) seconds, alternating in this process
        for _ in range(args.repeat):
            with engine.connect() as conn:
                t = time.perf_counter()
                report = audit(conn, public_key=signer.public_key)
                audit_time = time.perf_counter() - t
            if not report.ok:
                raise SystemExit(f"audit failed: {report.summary()}")
            runs.append((audit_time, *raw_hashing(pages)))
    name = "sqlite" if args.database == "sqlite" else "postgresql"
    audits, leaves, trees = (sorted(c) for c in zip(*runs))
    ratios = sorted(a / r for a, _l, r in runs)
    print(f"{name}: audit {report.summary()}; {args.repeat} runs, min {audits[0]:.2f} s, "
          f"median {statistics.median(audits):.2f} s ({total / 1e6:.0f} MB of entries)")
    print(f"{name}: raw hashlib over the same bytes: leaves min {leaves[0]:.2f} s, "
          f"leaves+tree min {trees[0]:.2f} s / median {statistics.median(trees):.2f} s")
    print(f"{name}: audit / raw(leaves+tree): min-over-min {audits[0] / trees[0]:.2f}x, median of the "
          f"{args.repeat} paired runs {statistics.median(ratios):.2f}x (target <= 3x); "
          f"audit / raw(leaves only) {audits[0] / leaves[0]:.2f}x")


if __name__ == "__main__":
    main()
