"""The storage interface of the ledger and the records it returns.

Every method works inside a caller-provided SQLAlchemy ``Connection`` (or
whatever the implementation's unit of work is), so a ledger append commits or
rolls back together with the business change it records.  Implementations
never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from ledger.events import Event


class AppendedEntry(NamedTuple):
    """Where an appended event landed (a tuple: appends create one per event, cheaply)."""

    index: int
    leaf_hash: bytes


@dataclass(frozen=True)
class TreeHead:
    """Current size and root of the stored tree."""

    size: int
    root: bytes


@dataclass(frozen=True)
class StoredCheckpoint:
    """A signed checkpoint as stored."""

    seq: int
    tree_size: int
    root: bytes
    note: str
    verifier_key: str  # name+keyid+base64(0x01||pub) of the key that signed the note
    signed_at: datetime


@dataclass(frozen=True)
class AnchorRecord:
    """One anchor row: an attempt or result for a checkpoint; rows are never updated."""

    seq: int
    checkpoint_seq: int
    status: str  # submitted | confirmed | failed
    chain: str | None  # "embedded" or the JSON-RPC URL (no credentials)
    chain_id: int | None
    tx_hash: str | None
    block_number: int | None
    raw_tx: bytes | None
    detail: str | None
    created_at: datetime


class LedgerStore(Protocol):
    """Append-only storage of entries, subtree hashes, checkpoints and anchors."""

    def append(self, conn: Any, events: Sequence[Event], *, signer: str | None = None) -> list[AppendedEntry]:
        """Append ``events`` (signer defaults to each event's org); return their indices."""
        ...

    def lock(self, conn: Any) -> None:
        """Take the ledger's writer lock until the caller's transaction ends."""
        ...

    def head(self, conn: Any) -> TreeHead:
        """Return the current tree size and root."""
        ...

    def size(self, conn: Any) -> int:
        """Return the number of entries."""
        ...

    def entry(self, conn: Any, index: int) -> bytes:
        """Return the stored bytes of entry ``index``."""
        ...

    def entries(self, conn: Any, start: int, stop: int) -> list[bytes]:
        """Return entries ``[start, stop)`` in index order."""
        ...

    def root(self, conn: Any, size: int) -> bytes:
        """Return the root of the first ``size`` entries."""
        ...

    def inclusion_proof(self, conn: Any, index: int, size: int) -> list[bytes]:
        """Return the inclusion proof of entry ``index`` in the tree of ``size`` entries."""
        ...

    def consistency_proof(self, conn: Any, old_size: int, new_size: int) -> list[bytes]:
        """Return the consistency proof from ``old_size`` to ``new_size``."""
        ...

    def add_checkpoint(self, conn: Any, *, tree_size: int, root: bytes, note: str, verifier_key: str,
                       signed_at: datetime) -> StoredCheckpoint:
        """Store a signed checkpoint (caller holds the lock and checked consistency)."""
        ...

    def latest_checkpoint(self, conn: Any) -> StoredCheckpoint | None:
        """Return the most recent checkpoint, if any."""
        ...

    def checkpoint(self, conn: Any, seq: int) -> StoredCheckpoint:
        """Return checkpoint number ``seq``."""
        ...

    def checkpoints(self, conn: Any) -> list[StoredCheckpoint]:
        """Return every checkpoint in order."""
        ...

    def checkpoints_at_size(self, conn: Any, tree_size: int) -> list[StoredCheckpoint]:
        """Return the checkpoints of exactly ``tree_size`` entries, newest first."""
        ...

    def level_hashes(self, conn: Any, level: int, start: int, stop: int) -> list[bytes]:
        """Return the complete-subtree hashes ``(level, start) .. (level, stop - 1)`` that exist."""
        ...

    def published_size(self, conn: Any) -> int:
        """Return the latest checkpoint's tree size, 0 before the first checkpoint."""
        ...

    def add_cosignature(self, conn: Any, *, checkpoint_seq: int, witness: str, key_id: str, cosigned_at: int,
                        line: str) -> bool:
        """Store a verified witness cosignature line; ``False`` if that key already cosigned it."""
        ...

    def cosignature_lines(self, conn: Any, checkpoint_seq: int) -> list[str]:
        """Return the stored cosignature lines of a checkpoint."""
        ...

    def add_anchor(self, conn: Any, *, checkpoint_seq: int, status: str, chain: str | None = None, chain_id: int | None = None,
                   tx_hash: str | None = None, block_number: int | None = None,
                   raw_tx: bytes | None = None, detail: str | None = None) -> AnchorRecord:
        """Record an anchor attempt or result (insert-only)."""
        ...

    def anchors(self, conn: Any, checkpoint_seq: int | None = None) -> list[AnchorRecord]:
        """Return anchor rows, oldest first, optionally for one checkpoint."""
        ...
