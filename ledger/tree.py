"""An in-memory RFC 6962 tree: every complete subtree hash, level by level.

``levels[0]`` holds the leaf hashes, ``levels[L][i]`` the hash of the complete
subtree ``(L, i)``.  A trailing odd node is *not* carried up: incomplete
right-edge subtrees are folded on demand (see ``ledger.compact``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger.compact import NodeId
from ledger.hashing import leaf_hash, node_hash


class MemoryTree:
    """Complete-subtree hashes of a list of entries; built once, read-only."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        levels = [list(leaf_hashes)]
        while len(levels[-1]) > 1:
            below = levels[-1]
            levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
        self._levels = levels

    @classmethod
    def from_entries(cls, entries: Sequence[bytes]) -> MemoryTree:
        """Build the tree over raw entry bytes."""
        return cls([leaf_hash(e) for e in entries])

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self._levels[0])

    def node(self, node: NodeId) -> bytes:
        """Return the hash of complete subtree ``(level, index)``.

        Preconditions: the subtree lies entirely inside the tree.
        """
        level, index = node
        if level >= len(self._levels) or not 0 <= index < len(self._levels[level]):
            raise ValueError(f"node ({level}, {index}) is not a complete subtree of tree size {self.size}")
        return self._levels[level][index]
