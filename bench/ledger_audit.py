"""Full audit of N stored entries against raw hashlib hashing of the same bytes.

Run: ``.venv/bin/python bench/ledger_audit.py [--entries N] [--database sqlite|URL] [--keep PATH|SCHEMA]``.
The baseline streams the same entry bytes from the database untimed and times
only plain hashlib: (a) one SHA-256 per entry (leaf hashes), and (b) leaf hashes
plus the RFC 6962 interior nodes (what any verifier of the tree must compute).
The audit figure includes reading entries and subtree hashes from the database,
the hash chain, every stored node and every checkpoint (the fill signs one every
100k entries, and the audit checks their signatures).  A database kept from
before checkpoints were part of the fill (``--keep``) has none: start a new one.
"""

from __future__ import annotations

import argparse
import hashlib
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


def raw_hashing(engine, page: int = 50_000) -> tuple[float, float, int]:
    sha = hashlib.sha256
    leaf_time = tree_time = 0.0
    leaves: list[bytes] = []
    after, total = -1, 0
    e = ledger_entries.c
    with engine.connect() as conn:
        while True:
            rows = conn.execute(select(e.idx, e.entry).where(e.idx > after).order_by(e.idx).limit(page)).all()
            if not rows:
                break
            after = rows[-1][0]
            chunk = [bytes(r[1]) for r in rows]
            total += sum(map(len, chunk))
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
    tree_time = leaf_time + (time.perf_counter() - t)
    return leaf_time, tree_time, total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--database", default="sqlite", help='"sqlite" or a PostgreSQL URL')
    parser.add_argument("--keep", help="SQLite file / PostgreSQL schema to create once and reuse")
    args = parser.parse_args()
    store = SqlLedgerStore()
    # A fixed bench key, so a kept database audits with the same public key on every run.
    signer = NoteSigner("bench.example/ledger", Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
    with fresh_database(args.database, keep=args.keep) as (engine, _url):
        fill(engine, store, args.entries, ledger=Ledger(store, signer), checkpoint_every=100_000)
        leaf_time, tree_time, total = raw_hashing(engine)
        with engine.connect() as conn:
            t = time.perf_counter()
            report = audit(conn, public_key=signer.public_key)
            audit_time = time.perf_counter() - t
    if not report.ok:
        raise SystemExit(f"audit failed: {report.summary()}")
    name = "sqlite" if args.database == "sqlite" else "postgresql"
    print(f"{name}: audit {report.summary()} in {audit_time:.2f} s ({total / 1e6:.0f} MB of entries)")
    print(f"{name}: raw hashlib over the same bytes: leaves {leaf_time:.2f} s, leaves+tree {tree_time:.2f} s")
    print(f"{name}: audit / raw(leaves+tree) = {audit_time / tree_time:.2f}x (target <= 3x); "
          f"audit / raw(leaves only) = {audit_time / leaf_time:.2f}x")


if __name__ == "__main__":
    main()
