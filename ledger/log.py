"""The ledger as the marketplace uses it: append, checkpoint, anchor, export proofs.

``Ledger`` ties a ``LedgerStore`` to the platform's signing key.  Every method
takes the caller's connection and runs inside the caller's transaction.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from ledger.anchor import Anchorer
from ledger.bundle import make_bundle
from ledger.checkpoint import Checkpoint, check_extends, parse_checkpoint_text
from ledger.cosign import with_cosignatures
from ledger.errors import AnchorUnavailableError, InconsistentCheckpointError, StoreError
from ledger.events import Event
from ledger.signing import NoteSigner
from ledger.store import AnchorRecord, AppendedEntry, LedgerStore, StoredCheckpoint


def note_text(note: str) -> str:
    """Return the signed text of a note (everything before the last blank line)."""
    return note[: note.rfind("\n\n") + 1]


class Ledger:
    """The platform's tamper-evident log (origin = the signing key's name)."""

    def __init__(self, store: LedgerStore, signer: NoteSigner) -> None:
        self.store = store
        self.signer = signer

    @property
    def origin(self) -> str:
        return self.signer.name

    def append(self, conn: Any, events: Sequence[Event], *, signer: str | None = None) -> list[AppendedEntry]:
        """Append ``events`` in the caller's transaction; see ``LedgerStore.append``."""
        return self.store.append(conn, events, signer=signer)

    def sign_checkpoint(self, conn: Any, *, now: datetime | None = None) -> StoredCheckpoint:
        """Sign and store a checkpoint of the current tree.

        Refuses (``InconsistentCheckpointError``) unless the current tree
        extends the latest stored checkpoint, checked with a consistency proof
        built from the stored subtree hashes.
        """
        self.store.lock(conn)
        size = self.store.size(conn)
        root = self.store.root(conn, size)
        when = (now or datetime.now(timezone.utc)).replace(microsecond=0)
        current = Checkpoint(self.origin, size, root, when)
        latest = self.store.latest_checkpoint(conn)
        if latest is not None:
            previous = parse_checkpoint_text(note_text(latest.note))
            if previous.size > size:
                raise InconsistentCheckpointError(
                    f"tree size {size} is smaller than earlier checkpoint size {previous.size}",
                    old_size=previous.size, new_size=size,
                )
            proof = self.store.consistency_proof(conn, previous.size, size)
            check_extends(previous, current, proof)
        note = current.sign(self.signer)
        return self.store.add_checkpoint(conn, tree_size=size, root=root, note=note,
                                         verifier_key=self.signer.verifier_key(), signed_at=when)

    def anchor_checkpoint(self, conn: Any, anchorer: Anchorer, *, seq: int | None = None) -> AnchorRecord:
        """Anchor checkpoint ``seq`` (default: the latest) and record the result: ``confirmed``
        when the chain needs no more confirmations than the block it was mined in, else
        ``submitted`` (``advance_anchor`` confirms it later).

        On chain failure records a ``failed`` row and re-raises
        ``AnchorUnavailableError`` so the caller can retry later.
        """
        checkpoint = self.store.latest_checkpoint(conn) if seq is None else self.store.checkpoint(conn, seq)
        if checkpoint is None:
            raise StoreError("no checkpoint to anchor; sign one first")
        try:
            receipt = anchorer.anchor(checkpoint.note)
        except AnchorUnavailableError as exc:
            self.store.add_anchor(conn, checkpoint_seq=checkpoint.seq, status="failed", chain=anchorer.chain,
                                  detail=str(exc)[:2000])
            raise
        final = receipt.confirmations >= anchorer.confirmations
        return self.store.add_anchor(
            conn, checkpoint_seq=checkpoint.seq, status="confirmed" if final else "submitted", chain=receipt.chain,
            chain_id=receipt.chain_id, tx_hash=receipt.tx_hash, block_number=receipt.block_number,
            raw_tx=receipt.raw_tx,
        )

    def advance_anchor(self, conn: Any, anchorer: Anchorer, *, seq: int) -> AnchorRecord:
        """Move checkpoint ``seq``'s anchoring one step on and return its newest row.

        Confirmed: nothing to do. Submitted: ask the chain; with ``anchorer.confirmations``
        blocks on it, record it ``confirmed`` (at the block it is in now: a reorg may have
        re-mined it elsewhere); no longer on the canonical chain (a reorg dropped it before
        finality), record that as ``failed`` and anchor again; else it stays submitted.
        Nothing yet, or the last attempt failed: anchor now. A chain that cannot be asked
        raises ``AnchorUnavailableError`` (a failed send leaves its ``failed`` row).
        """
        rows = [a for a in self.store.anchors(conn, seq) if a.chain == anchorer.chain]
        last = rows[-1] if rows else None
        if last is not None and last.status == "confirmed":
            return last
        if last is not None and last.status == "submitted" and last.tx_hash:
            state = anchorer.confirmations_of(last.tx_hash)
            if state is not None:
                confirmations, block = state
                if confirmations < anchorer.confirmations:
                    return last
                return self.store.add_anchor(
                    conn, checkpoint_seq=seq, status="confirmed", chain=last.chain, chain_id=last.chain_id,
                    tx_hash=last.tx_hash, block_number=block, raw_tx=last.raw_tx,
                    detail=f"{confirmations} confirmations")
            self.store.add_anchor(conn, checkpoint_seq=seq, status="failed", chain=last.chain,
                                  chain_id=last.chain_id, tx_hash=last.tx_hash,
                                  detail="dropped from the canonical chain before finality (reorg); re-anchored")
        return self.anchor_checkpoint(conn, anchorer, seq=seq)

    def inclusion_proof(self, conn: Any, index: int, *, size: int) -> list[bytes]:
        """Return the inclusion proof of entry ``index`` in the tree of ``size`` entries."""
        return self.store.inclusion_proof(conn, index, size)

    def export_bundle(self, conn: Any, index: int, *, checkpoint_seq: int | None = None) -> dict[str, Any]:
        """Return a proof bundle for entry ``index`` against a checkpoint.

        Uses checkpoint ``checkpoint_seq`` or else the latest checkpoint, and
        includes that checkpoint's latest confirmed anchor if there is one.
        """
        if checkpoint_seq is None:
            checkpoint = self.store.latest_checkpoint(conn)
        else:
            checkpoint = self.store.checkpoint(conn, checkpoint_seq)
        if checkpoint is None or checkpoint.tree_size <= index:
            raise StoreError(f"no checkpoint covers index {index}; sign a checkpoint first")
        return export_bundle(self.store, conn, index, checkpoint)


def export_bundle(store: LedgerStore, conn: Any, index: int, checkpoint: StoredCheckpoint) -> dict[str, Any]:
    """Build the proof bundle of entry ``index`` against a stored ``checkpoint``."""
    confirmed = [a for a in store.anchors(conn, checkpoint.seq) if a.status == "confirmed"]
    anchor = None
    if confirmed:
        a = confirmed[-1]
        anchor = {"chain": a.chain, "chain_id": a.chain_id, "tx_hash": a.tx_hash, "block_number": a.block_number}
        if a.raw_tx is not None:
            anchor["raw_tx"] = base64.b64encode(a.raw_tx).decode()
    return make_bundle(
        entry=store.entry(conn, index),
        index=index,
        size=checkpoint.tree_size,
        inclusion_path=store.inclusion_proof(conn, index, checkpoint.tree_size),
        # witnesses' cosignatures ride along, so a verifier can require k of n of them
        checkpoint_note=with_cosignatures(checkpoint.note, store.cosignature_lines(conn, checkpoint.seq)),
        verifier_key=checkpoint.verifier_key,
        anchor=anchor,
    )
