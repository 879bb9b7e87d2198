"""Tree geometry: which complete subtrees make up a range, a proof, a root.

A *node id* ``(level, index)`` names the complete subtree of ``2**level`` leaves
that starts at leaf ``index << level``.  Level 0 is a leaf.  Every hash a proof
needs is either such a complete subtree (stored once, never changes) or the
hash of a right-edge range, folded from a few complete subtrees.

These functions only compute *which* nodes are needed, so the same plan serves
the in-memory tree and the database store (O(log n) reads per proof).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ledger.hashing import EMPTY_ROOT, node_hash

NodeId = tuple[int, int]
"""``(level, index)`` of a complete subtree."""


def largest_power_of_two_below(n: int) -> int:
    """Return the largest power of two strictly smaller than ``n`` (RFC 9162 ``k``).

    Preconditions: ``n >= 2``.
    """
    if n < 2:
        raise ValueError(f"split needs at least 2 leaves, got {n}")
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(begin: int, end: int) -> list[NodeId]:
    """Return the complete subtrees covering leaves ``[begin, end)``, left to right.

    Preconditions: ``0 <= begin <= end``.  For the ranges that occur in RFC 6962
    recursion (``begin`` a multiple of a power of two >= ``end - begin``) the
    subtrees have strictly decreasing sizes, and the range hash is their fold.
    """
    if not 0 <= begin <= end:
        raise ValueError(f"range [{begin}, {end}) is not a valid leaf range")
    nodes: list[NodeId] = []
    while begin < end:
        level = (begin & -begin).bit_length() - 1 if begin else (end - begin).bit_length() - 1
        while begin + (1 << level) > end:
            level -= 1
        nodes.append((level, begin >> level))
        begin += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """Fold complete-subtree hashes of a right-edge range into its hash.

    ``hashes`` are left to right with decreasing sizes; the result is
    ``H(h0, H(h1, ... H(h[-2], h[-1])))``, the RFC 6962 hash of the range.
    An empty sequence folds to the empty-tree root.
    """
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def root_plan(size: int) -> list[NodeId]:
    """Return the complete subtrees whose fold is the root of a tree of ``size`` leaves."""
    if size < 0:
        raise ValueError(f"tree size {size} is negative")
    return range_nodes(0, size)


def inclusion_plan(index: int, size: int) -> list[list[NodeId]]:
    """Return, per proof element (leaf to root), the nodes to fold into it.

    Preconditions: ``0 <= index < size``.  Implements RFC 9162 §2.1.3.1 PATH,
    iteratively.  Only the first sibling that lies on the right edge may need
    more than one node.
    """
    if not 0 <= index < size:
        raise ValueError(f"index {index} out of bounds for tree size {size}")
    elements: list[list[NodeId]] = []
    offset, n, m = 0, size, index
    while n > 1:
        k = largest_power_of_two_below(n)
        if m < k:
            elements.append(range_nodes(offset + k, offset + n))
            n = k
        else:
            elements.append(range_nodes(offset, offset + k))
            offset, n, m = offset + k, n - k, m - k
    elements.reverse()
    return elements


def consistency_plan(old_size: int, new_size: int) -> list[list[NodeId]]:
    """Return, per proof element, the nodes to fold into it (RFC 9162 §2.1.4.1).

    Preconditions: ``0 <= old_size <= new_size``.  The proof is empty when
    ``old_size`` is 0 or equals ``new_size``.
    """
    if old_size < 0:
        raise ValueError(f"old size {old_size} is negative")
    if old_size > new_size:
        raise ValueError(f"old size {old_size} exceeds new size {new_size}")
    if old_size == 0 or old_size == new_size:
        return []
    elements: list[list[NodeId]] = []
    offset, n, m, complete = 0, new_size, old_size, True
    while m != n:
        k = largest_power_of_two_below(n)
        if m <= k:
            elements.append(range_nodes(offset + k, offset + n))
            n = k
        else:
            elements.append(range_nodes(offset, offset + k))
            offset, n, m, complete = offset + k, n - k, m - k, False
    if not complete:
        elements.append(range_nodes(offset, offset + m))
    elements.reverse()
    return elements


def resolve(plan: Iterable[list[NodeId]], lookup: Callable[[NodeId], bytes]) -> list[bytes]:
    """Turn a proof plan into hashes, fetching each node with ``lookup``."""
    return [fold([lookup(node) for node in element]) for element in plan]
