"""Command line: ``python -m ledger {verify-proof,verify-evidence,audit,export-proof,checkpoint}``.

Exit status 0 with a line starting ``OK``; 1 with a line starting ``BAD`` or
``ERROR`` and the reason.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _verify_proof(args: argparse.Namespace) -> int:
    from ledger.bundle import verify_bundle
    from ledger.errors import BundleError

    try:
        bundle = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"BAD cannot read bundle {args.file}: {exc}")
        return 1
    trusted = Path(args.public_key).read_text().strip() if args.public_key and Path(args.public_key).is_file() else args.public_key
    try:
        result = verify_bundle(bundle, trusted_key=trusted, rpc_url=args.rpc_url)
    except BundleError as exc:
        print(f"BAD {exc}")
        return 1
    print(f"OK {result.message}")
    return 0


def _verify_evidence(args: argparse.Namespace) -> int:
    from ledger.evidence import EvidenceError, verify_evidence

    try:
        bundle = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"BAD cannot read evidence {args.file}: {exc}")
        return 1
    trusted = Path(args.public_key).read_text().strip() if args.public_key and Path(args.public_key).is_file() else args.public_key
    try:
        result = verify_evidence(bundle, trusted_key=trusted)
    except EvidenceError as exc:
        print(f"BAD {exc}")
        return 1
    print(f"OK {result.message}")
    return 0


def _engine(url: str):
    from sqlalchemy import create_engine

    return create_engine(url)


def _audit(args: argparse.Namespace) -> int:
    from ledger.audit import audit
    from ledger.signing import load_public_key

    public_key = load_public_key(args.public_key) if args.public_key else None
    engine = _engine(args.database_url)
    with engine.connect() as conn:
        report = audit(conn, public_key=public_key, deep=args.deep)
    print(report.summary())
    return 0 if report.ok else 1


def _export_proof(args: argparse.Namespace) -> int:
    from ledger.errors import LedgerError
    from ledger.log import export_bundle
    from ledger.sql_store import SqlLedgerStore

    store = SqlLedgerStore()
    engine = _engine(args.database_url)
    with engine.connect() as conn:
        try:
            if args.checkpoint is not None:
                checkpoint = store.checkpoint(conn, args.checkpoint)
            else:
                checkpoint = store.checkpoint_covering(conn, args.index)
            if checkpoint is None or checkpoint.tree_size <= args.index:
                print(f"ERROR no checkpoint covers index {args.index}; sign one first")
                return 1
            bundle = export_bundle(store, conn, args.index, checkpoint)
        except LedgerError as exc:
            print(f"ERROR {exc}")
            return 1
    text = json.dumps(bundle, indent=2, sort_keys=True) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"OK wrote proof of entry {args.index} in tree size {bundle['size']} to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def _checkpoint(args: argparse.Namespace) -> int:
    from ledger.errors import LedgerError
    from ledger.log import Ledger
    from ledger.signing import NoteSigner, load_or_create_private_key
    from ledger.sql_store import SqlLedgerStore

    signer = NoteSigner(args.origin, load_or_create_private_key(args.key_file))
    ledger = Ledger(SqlLedgerStore(), signer)
    engine = _engine(args.database_url)
    try:
        with engine.begin() as conn:
            stored = ledger.sign_checkpoint(conn)
    except LedgerError as exc:
        print(f"ERROR {exc}")
        return 1
    sys.stdout.write(stored.note)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ledger", description="Tamper-evident ledger tools.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("verify-proof", help="verify a JSON proof bundle")
    p.add_argument("file")
    p.add_argument("--public-key", help="trusted log key (verifier key, base64, PEM, or a file holding one); "
                                        "default: the key inside the bundle")
    p.add_argument("--rpc-url", help="JSON-RPC URL to check the anchor on instead of the bundle's chain")
    p.set_defaults(func=_verify_proof)

    p = sub.add_parser("verify-evidence", help="recompute the figures of an evidence bundle from its entries")
    p.add_argument("file")
    p.add_argument("--public-key", help="trusted log key (as for verify-proof); default: the key inside the bundle")
    p.set_defaults(func=_verify_evidence)

    p = sub.add_parser("audit", help="audit the whole stored ledger")
    p.add_argument("--database-url", required=True)
    p.add_argument("--public-key", help="check checkpoint signatures against this key")
    p.add_argument("--deep", action="store_true", help="also parse and validate every entry and event")
    p.set_defaults(func=_audit)

    p = sub.add_parser("export-proof", help="write the proof bundle of one entry")
    p.add_argument("--database-url", required=True)
    p.add_argument("--index", type=int, required=True)
    p.add_argument("--checkpoint", type=int, help="checkpoint number (default: latest covering the index)")
    p.add_argument("--output", "-o", help="file to write (default: stdout)")
    p.set_defaults(func=_export_proof)

    p = sub.add_parser("checkpoint", help="sign a checkpoint of the current tree")
    p.add_argument("--database-url", required=True)
    p.add_argument("--key-file", default="var/ledger_ed25519.key")
    p.add_argument("--origin", required=True, help="log origin / key name, e.g. smm.example/ledger")
    p.set_defaults(func=_checkpoint)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
