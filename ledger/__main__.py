"""Command line: ``python -m ledger {verify-proof,verify-evidence,verify-anchor,deploy-anchor,audit,export-proof,checkpoint,witness}``.

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
    from ledger.errors import BundleError, SigningKeyError

    try:
        bundle = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"BAD cannot read bundle {args.file}: {exc}")
        return 1
    trusted = Path(args.public_key).read_text().strip() if args.public_key and Path(args.public_key).is_file() else args.public_key
    try:
        keys, quorum = _witness_keys(args)
        result = verify_bundle(bundle, trusted_key=trusted, rpc_url=args.rpc_url, witness_keys=keys,
                               witness_quorum=quorum)
    except (BundleError, SigningKeyError) as exc:
        print(f"BAD {exc}")
        return 1
    print(f"OK {result.message}")
    return 0


def _verify_evidence(args: argparse.Namespace) -> int:
    from ledger.errors import SigningKeyError
    from ledger.evidence import EvidenceError, verify_evidence

    try:
        bundle = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"BAD cannot read evidence {args.file}: {exc}")
        return 1
    trusted = Path(args.public_key).read_text().strip() if args.public_key and Path(args.public_key).is_file() else args.public_key
    try:
        keys, quorum = _witness_keys(args)
        result = verify_evidence(bundle, trusted_key=trusted, witness_keys=keys, witness_quorum=quorum)
    except (EvidenceError, SigningKeyError) as exc:
        print(f"BAD {exc}")
        return 1
    print(f"OK {result.message}")
    return 0


def _verify_anchor(args: argparse.Namespace) -> int:
    """An anchor checked with nothing but an RPC URL and the contract address: the
    contract's Anchored(root, size) log, with enough blocks on it."""
    from ledger.anchor import find_anchor_events, parse_root, rpc_web3
    from ledger.errors import AnchorUnavailableError

    try:
        root = parse_root(args.root)
    except ValueError as exc:
        print(f"BAD {exc}")
        return 1
    try:
        events = find_anchor_events(rpc_web3(args.rpc), args.contract, root, args.size)
    except AnchorUnavailableError as exc:
        print(f"ERROR {exc}")
        return 1
    if not events:
        print(f"BAD no Anchored(0x{root.hex()}, {args.size}) event from {args.contract}")
        return 1
    best = max(events, key=lambda e: e.confirmations)
    if best.confirmations < args.confirmations:
        print(f"BAD anchored in tx {best.tx_hash} (block {best.block_number}) with {best.confirmations} "
              f"confirmations, fewer than {args.confirmations}")
        return 1
    print(f"OK anchored in tx {best.tx_hash} block {best.block_number}, {best.confirmations} confirmations")
    return 0


def _deploy_anchor(args: argparse.Namespace) -> int:
    from ledger.anchor import deploy_anchor_contract, rpc_web3
    from ledger.errors import AnchorUnavailableError

    key = Path(args.key_file).read_text().strip()
    try:
        address = deploy_anchor_contract(rpc_web3(args.rpc), key)
    except AnchorUnavailableError as exc:
        print(f"ERROR {exc}")
        return 1
    print(f"OK deployed the anchor contract at {address}: set ANCHOR_CONTRACT_ADDRESS={address}")
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


def _witness_keys(args: argparse.Namespace):
    from ledger.cosign import parse_witness_keys

    keys = []
    for value in args.witness_key or []:
        path = Path(value)
        keys.append(path.read_text().strip() if path.is_file() else value)
    return parse_witness_keys(keys), args.witness_quorum


def _witness(args: argparse.Namespace) -> int:
    import logging
    import time

    from ledger.cosign import Cosigner
    from ledger.errors import LedgerError
    from ledger.signing import load_or_create_private_key, load_public_key
    from ledger.witness import FetchError, ForkDetected, HttpLog, Witness, follow_once, record_alert

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    cosigner = Cosigner(args.name, load_or_create_private_key(args.key_file))
    if args.print_key:
        print(cosigner.key.vkey())
        return 0
    if not (args.log_url and args.log_key and args.origin):
        print("ERROR --log-url, --log-key and --origin are required")
        return 1
    key_text = Path(args.log_key).read_text() if Path(args.log_key).is_file() else args.log_key
    state_dir = Path(args.state_dir)
    witness = Witness(origin=args.origin, log_public_key=load_public_key(key_text), cosigner=cosigner,
                      state_path=state_dir / "state.json", full=args.full)
    client = HttpLog(args.log_url)
    log = logging.getLogger("ledger.witness")
    try:
        while True:
            try:
                line = follow_once(witness, client, post=not args.no_post)
                if line is not None:
                    print(f"OK cosigned {args.origin} size {witness.state.size}", flush=True)
            except ForkDetected as fork:
                record_alert(state_dir / "alerts.jsonl", fork, when=time.time())
                log.critical("FORK of %s: %s (evidence in %s)", args.origin, fork, state_dir / "alerts.jsonl")
                print(f"ALERT fork: {fork}", flush=True)
                return 2
            except FetchError as exc:
                log.warning("log unreachable: %s", exc)
                if args.once:
                    print(f"ERROR {exc}")
                    return 1
            except LedgerError as exc:  # a checkpoint that does not verify: refuse it, keep watching
                log.error("refused checkpoint: %s", exc)
                if args.once:
                    print(f"BAD {exc}")
                    return 1
            if args.once:
                return 0
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0
    finally:
        client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ledger", description="Tamper-evident ledger tools.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("verify-proof", help="verify a JSON proof bundle")
    p.add_argument("file")
    p.add_argument("--public-key", help="trusted log key (verifier key, base64, PEM, or a file holding one); "
                                        "default: the key inside the bundle")
    p.add_argument("--rpc-url", help="JSON-RPC URL to check the anchor on instead of the bundle's chain")
    p.add_argument("--witness-key", action="append", metavar="VKEY|FILE",
                   help="a witness's cosignature key (name+keyid+base64(0x04||pub)); repeat for each")
    p.add_argument("--witness-quorum", type=int, default=0, metavar="K",
                   help="require cosignatures from at least K of the --witness-key witnesses")
    p.set_defaults(func=_verify_proof)

    p = sub.add_parser("verify-evidence", help="recompute the figures of an evidence bundle from its entries")
    p.add_argument("file")
    p.add_argument("--public-key", help="trusted log key (as for verify-proof); default: the key inside the bundle")
    p.add_argument("--witness-key", action="append", metavar="VKEY|FILE",
                   help="a witness's cosignature key (name+keyid+base64(0x04||pub)); repeat for each")
    p.add_argument("--witness-quorum", type=int, default=0, metavar="K",
                   help="require cosignatures from at least K of the --witness-key witnesses")
    p.set_defaults(func=_verify_evidence)

    p = sub.add_parser("verify-anchor", help="check a checkpoint's anchor in the contract's event log")
    p.add_argument("--rpc", required=True, help="any Ethereum JSON-RPC URL of the chain")
    p.add_argument("--contract", required=True, help="the Anchor contract's address")
    p.add_argument("--root", required=True, help="the checkpoint's Merkle root (hex, or base64 as in the note)")
    p.add_argument("--size", type=int, required=True, help="the checkpoint's tree size")
    p.add_argument("--confirmations", type=int, default=1, help="blocks required on the anchor (default 1)")
    p.set_defaults(func=_verify_anchor)

    p = sub.add_parser("deploy-anchor", help="deploy the Anchor contract; its owner is the key's account")
    p.add_argument("--rpc", required=True, help="Ethereum JSON-RPC URL")
    p.add_argument("--key-file", required=True, help="file holding the hex private key (ANCHOR_PRIVATE_KEY)")
    p.set_defaults(func=_deploy_anchor)

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

    p = sub.add_parser("witness", help="follow a tiled log, check it only grows, cosign its checkpoints")
    p.add_argument("--log-url", help="the log's tile prefix, e.g. https://smm.example (serves /checkpoint, /tile/…)")
    p.add_argument("--log-key", help="the log's verifier key (name+keyid+base64) or a file holding it")
    p.add_argument("--origin", help="the log's origin line, e.g. smm.example/ledger")
    p.add_argument("--name", required=True, help="this witness's key name, e.g. witness.lender.example/w1")
    p.add_argument("--key-file", default="var/witness_ed25519.key", help="Ed25519 key (PEM), created on first use")
    p.add_argument("--state-dir", default="var/witness", help="state.json (last cosigned checkpoint) and alerts.jsonl")
    p.add_argument("--interval", type=float, default=60.0, help="seconds between polls")
    p.add_argument("--once", action="store_true", help="check the current checkpoint once and exit")
    p.add_argument("--full", action="store_true", help="read every leaf-hash tile, not just the fewest that cover")
    p.add_argument("--no-post", action="store_true", help="do not post cosignatures back to the log")
    p.add_argument("--print-key", action="store_true", help="print this witness's vkey (for the log operator) and exit")
    p.set_defaults(func=_witness)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
