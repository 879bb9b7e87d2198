"""RFC 6962 / RFC 9162 Merkle tree over raw entry bytes: roots, proofs, verifiers.

Public API (names fixed by issue 4)::

    root(leaves) -> bytes
    inclusion_proof(leaves, index) -> list[bytes]
    consistency_proof(leaves, old_size) -> list[bytes]
    verify_inclusion(leaf, index, size, proof, root) -> bool
    verify_consistency(old_size, new_size, old_root, new_root, proof) -> bool

``leaves`` and ``leaf`` are raw entry bytes; hashing is SHA-256 with the 0x00
(leaf) and 0x01 (node) prefixes.  The tree splits at the largest power of two
smaller than n.  These functions build the tree in memory; the database store
produces the same proofs from stored subtree hashes in O(log n) reads.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger.compact import consistency_plan, fold, inclusion_plan, resolve, root_plan
from ledger.errors import ProofError
from ledger.hashing import leaf_hash
from ledger.tree import MemoryTree
from ledger.verify import check_consistency, check_inclusion

__all__ = ["root", "inclusion_proof", "consistency_proof", "verify_inclusion", "verify_consistency"]


def root(leaves: Sequence[bytes]) -> bytes:
    """Return the Merkle tree hash of ``leaves`` (the empty-tree hash for no leaves)."""
    tree = MemoryTree.from_entries(leaves)
    return fold([tree.node(n) for n in root_plan(tree.size)])


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """Return the audit path of leaf ``index`` in the tree of ``leaves``, leaf to root.

    Preconditions: ``0 <= index < len(leaves)``.
    """
    if not 0 <= index < len(leaves):
        raise ValueError(f"index {index} out of bounds for tree size {len(leaves)}")
    tree = MemoryTree.from_entries(leaves)
    return resolve(inclusion_plan(index, tree.size), tree.node)


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """Return the proof that the first ``old_size`` leaves form a prefix of ``leaves``.

    Preconditions: ``0 <= old_size <= len(leaves)``.
    """
    if not 0 <= old_size <= len(leaves):
        raise ValueError(f"old size {old_size} out of bounds for tree size {len(leaves)}")
    tree = MemoryTree.from_entries(leaves)
    return resolve(consistency_plan(old_size, tree.size), tree.node)


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """Return whether ``proof`` shows entry ``leaf`` at ``index`` in the tree ``(size, root)``.

    Implements RFC 9162 §2.1.3.2.  Any malformed input gives ``False``.
    """
    try:
        check_inclusion(leaf_hash(leaf), index, size, proof, root)
    except (ProofError, TypeError, ValueError):
        return False
    return True


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Return whether ``proof`` shows tree ``(old_size, old_root)`` is a prefix of ``(new_size, new_root)``.

    Implements RFC 9162 §2.1.4.2.  Any malformed input gives ``False``.
    """
    try:
        check_consistency(old_size, new_size, old_root, new_root, proof)
    except (ProofError, TypeError, ValueError):
        return False
    return True
