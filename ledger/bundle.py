"""Proof bundles: everything needed to check one entry, as a JSON object.

::

    {
      "format": "smm-ledger-proof/1",
      "index": 5,
      "size": 100,
      "entry": "<base64 of the entry bytes>",
      "inclusion_path": ["<base64 32-byte hash>", ...],
      "checkpoint": "<signed checkpoint note>",
      "public_key": "<origin>+<key id hex>+<base64(0x01 || Ed25519 key)>",
      "anchor": {"chain": "embedded" | "<JSON-RPC URL>", "chain_id": 1,
                 "tx_hash": "0x...", "block_number": 7, "raw_tx": "<base64>"}
    }

``anchor`` is optional: a transaction calling the Anchor contract's ``anchor(root, size)``
with the checkpoint's root and size (``ledger.anchor``); only final anchors are included.  Verification uses only this package and, for an
anchor on a reachable chain, web3.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ledger.anchor import EMBEDDED, verify_anchor, verify_raw_anchor
from ledger.checkpoint import Checkpoint, verify_checkpoint
from ledger.cosign import WitnessKey, log_signed_note, verify_quorum
from ledger.entry import Entry, decode_entry
from ledger.errors import AnchorUnavailableError, BundleError, CheckpointError, EncodingError, ProofError, SigningKeyError
from ledger.hashing import leaf_hash
from ledger.signing import load_public_key
from ledger.verify import check_inclusion

BUNDLE_FORMAT = "smm-ledger-proof/1"


def make_bundle(*, entry: bytes, index: int, size: int, inclusion_path: list[bytes], checkpoint_note: str,
                verifier_key: str, anchor: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return a proof bundle (a JSON-ready dict)."""
    bundle: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "index": index,
        "size": size,
        "entry": base64.b64encode(entry).decode(),
        "inclusion_path": [base64.b64encode(h).decode() for h in inclusion_path],
        "checkpoint": checkpoint_note,
        "public_key": verifier_key,
    }
    if anchor is not None:
        bundle["anchor"] = anchor
    return bundle


@dataclass(frozen=True)
class BundleResult:
    """A verified bundle: what it proves, in words and values."""

    message: str
    entry: Entry
    checkpoint: Checkpoint


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise BundleError(f"{what} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise BundleError(f"{what} is not valid base64") from exc


def verify_bundle(bundle: Any, *, trusted_key: str | None = None, rpc_url: str | None = None,
                  witness_keys: Sequence[WitnessKey] = (), witness_quorum: int = 0) -> BundleResult:
    """Verify a proof bundle; raise ``BundleError`` with the reason if it does not hold.

    ``witness_quorum`` > 0 also requires that many of ``witness_keys`` to have
    cosigned the checkpoint (C2SP tlog-cosignature lines on the note).

    ``trusted_key`` pins the log's public key (otherwise the bundle's own key is
    used, and the message says so).  ``rpc_url`` overrides the chain to ask
    about the anchor.
    """
    if not isinstance(bundle, dict):
        raise BundleError("bundle must be a JSON object")
    if bundle.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"bundle format {bundle.get('format')!r} is not {BUNDLE_FORMAT!r}")
    index, size = bundle.get("index"), bundle.get("size")
    if not isinstance(index, int) or not isinstance(size, int) or isinstance(index, bool) or isinstance(size, bool):
        raise BundleError("bundle index and size must be integers")
    entry_bytes = _b64(bundle.get("entry"), "entry")
    path_values = bundle.get("inclusion_path")
    if not isinstance(path_values, list):
        raise BundleError("inclusion_path must be a list")
    path = [_b64(h, f"inclusion_path[{i}]") for i, h in enumerate(path_values)]
    note = bundle.get("checkpoint")
    if not isinstance(note, str):
        raise BundleError("checkpoint must be the signed note text")
    try:
        public_key = load_public_key(trusted_key if trusted_key is not None else str(bundle.get("public_key", "")))
        checkpoint = verify_checkpoint(note, public_key=public_key)
    except (SigningKeyError, CheckpointError) as exc:
        raise BundleError(f"checkpoint signature: {exc}") from exc
    if checkpoint.size != size:
        raise BundleError(f"bundle size {size} differs from checkpoint tree size {checkpoint.size}")
    try:
        cosigned = verify_quorum(note, witness_keys, witness_quorum)
    except CheckpointError as exc:
        raise BundleError(f"witnesses: {exc}") from exc
    try:
        check_inclusion(leaf_hash(entry_bytes), index, size, path, checkpoint.root)
    except ProofError as exc:
        raise BundleError(f"inclusion: {exc}") from exc
    try:
        entry = decode_entry(entry_bytes)
    except EncodingError as exc:
        raise BundleError(f"entry: {exc}") from exc
    if entry.index != index:
        raise BundleError(f"entry says index {entry.index} but the bundle proves index {index}")
    parts = [
        f"entry {index} ({entry.event.get('type')}, signer {entry.signer}) is in tree size {size}",
        f"checkpoint signed by {checkpoint.origin}" + ("" if trusted_key else " (key taken from the bundle)"),
    ]
    if witness_quorum > 0:
        parts.append(f"cosigned by {len(cosigned)} of {len(witness_keys)} witnesses "
                     f"({', '.join(sorted(c.name for c in cosigned))}; {witness_quorum} required)")
    anchor = bundle.get("anchor")
    if anchor is not None:
        # the anchor commits to the note as the log signed it, before witnesses added theirs
        parts.append(_verify_anchor_part(anchor, log_signed_note(note, checkpoint.origin), rpc_url))
    return BundleResult(message="; ".join(parts), entry=entry, checkpoint=checkpoint)


def _verify_anchor_part(anchor: Any, note: str, rpc_url: str | None) -> str:
    if not isinstance(anchor, dict) or not isinstance(anchor.get("tx_hash"), str):
        raise BundleError("anchor must be an object with a tx_hash")
    tx_hash = anchor["tx_hash"]
    chain = rpc_url or anchor.get("chain")
    raw = anchor.get("raw_tx")
    if chain == EMBEDDED or chain is None:
        if raw is None:
            raise BundleError("anchor on the embedded chain needs raw_tx to be checked outside its process")
        if not verify_raw_anchor(_b64(raw, "anchor raw_tx"), tx_hash, note):
            raise BundleError(f"anchor transaction {tx_hash} does not anchor this checkpoint's root and size")
        return (f"anchor tx {tx_hash} calls anchor(root, size) of this checkpoint (embedded chain: in-process, "
                "dev only, block inclusion not checkable from here)")
    from web3 import HTTPProvider, Web3

    w3 = Web3(HTTPProvider(chain, request_kwargs={"timeout": 15}))
    try:
        ok = verify_anchor(w3, tx_hash, note)
    except AnchorUnavailableError as exc:
        raise BundleError(f"anchor could not be checked: {exc}") from exc
    if not ok:
        raise BundleError(f"anchor transaction {tx_hash} on {chain} does not anchor this checkpoint")
    return f"anchored on {chain} in tx {tx_hash}"
