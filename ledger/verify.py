"""Proof verification per RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency).

These functions raise ``ProofError`` naming what is wrong; ``ledger.merkle``
wraps them into the boolean ``verify_inclusion`` / ``verify_consistency``.
They never mutate their inputs.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger.errors import ProofError
from ledger.hashing import EMPTY_ROOT, HASH_SIZE, node_hash


def _check_hashes(proof: Sequence[bytes], what: str) -> None:
    for i, h in enumerate(proof):
        if not isinstance(h, (bytes, bytearray)) or len(h) != HASH_SIZE:
            raise ProofError(f"{what}[{i}] is not a {HASH_SIZE}-byte hash")


def root_from_inclusion_proof(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """Return the root implied by an inclusion proof for ``leaf_hash`` at ``index``.

    Preconditions: ``0 <= index < size``; every proof element is 32 bytes; the
    proof has exactly the length RFC 9162 prescribes for (index, size).
    """
    if not 0 <= index < size:
        raise ProofError(f"index {index} out of bounds for tree size {size}")
    if len(leaf_hash) != HASH_SIZE:
        raise ProofError(f"leaf hash has {len(leaf_hash)} bytes, want {HASH_SIZE}")
    _check_hashes(proof, "proof")
    fn, sn, r = index, size - 1, bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            raise ProofError(f"inclusion proof too long: {len(proof)} elements for index {index} in tree size {size}")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"inclusion proof too short: {len(proof)} elements for index {index} in tree size {size}")
    return r


def check_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Raise ``ProofError`` unless ``proof`` shows ``leaf_hash`` at ``index`` under ``root``."""
    computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if computed != root:
        raise ProofError(
            f"inclusion proof for index {index} in tree size {size} leads to root "
            f"{computed.hex()}, not {bytes(root).hex()}"
        )


def check_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ``ProofError`` unless ``proof`` shows tree ``old_size`` is a prefix of ``new_size``.

    Preconditions: ``0 <= old_size <= new_size``; roots and proof elements are
    32 bytes.  An empty old tree must carry the empty-tree root (stricter than
    RFC 9162, which does not look at it).
    """
    if old_size < 0 or new_size < 0:
        raise ProofError(f"tree sizes must be non-negative, got {old_size} and {new_size}")
    if old_size > new_size:
        raise ProofError(f"old size {old_size} exceeds new size {new_size}")
    if len(old_root) != HASH_SIZE or len(new_root) != HASH_SIZE:
        raise ProofError(f"roots must be {HASH_SIZE}-byte hashes")
    _check_hashes(proof, "proof")
    if old_size == new_size:
        if proof:
            raise ProofError(f"consistency proof between equal sizes {old_size} must be empty, got {len(proof)} elements")
        if old_root != new_root:
            raise ProofError(f"trees of equal size {old_size} have different roots")
        return
    if old_size == 0:
        if proof:
            raise ProofError(f"consistency proof from the empty tree must be empty, got {len(proof)} elements")
        if old_root != EMPTY_ROOT:
            raise ProofError("old root of an empty tree is not the empty-tree hash")
        return
    if not proof:
        raise ProofError(f"empty consistency proof from size {old_size} to {new_size}")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError(f"consistency proof too long: {len(proof)} elements from size {old_size} to {new_size}")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"consistency proof too short: {len(proof)} elements from size {old_size} to {new_size}")
    if fr != old_root:
        raise ProofError(f"consistency proof does not lead to the old root of size {old_size}")
    if sr != new_root:
        raise ProofError(f"consistency proof does not lead to the new root of size {new_size}")
