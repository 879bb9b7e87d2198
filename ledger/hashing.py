"""RFC 6962 / RFC 9162 hashing: leaf and interior node hashes with SHA-256.

A leaf hash is ``SHA-256(0x00 || entry)`` and an interior node hash is
``SHA-256(0x01 || left || right)``; the one-byte prefixes keep leaves and
nodes in separate domains (second-preimage resistance, RFC 9162 §2.1.1).
"""

from __future__ import annotations

import hashlib

HASH_SIZE = 32
"""Size in bytes of every hash in the ledger (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""Root hash of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1)."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(entry: bytes) -> bytes:
    """Return ``SHA-256(0x00 || entry)``, the hash of a leaf holding ``entry``."""
    return hashlib.sha256(_LEAF_PREFIX + bytes(entry)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return ``SHA-256(0x01 || left || right)``, the hash of an interior node.

    Preconditions: ``left`` and ``right`` are both 32-byte hashes.
    """
    if len(left) != HASH_SIZE or len(right) != HASH_SIZE:
        raise ValueError(
            f"node children must be {HASH_SIZE}-byte hashes, "
            f"got {len(left)} and {len(right)} bytes"
        )
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()
