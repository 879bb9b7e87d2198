"""C2SP tlog-tiles (c2sp.org/tlog-tiles): tile paths and tile contents from the stored tree.

Tile height is 8: the tile ``(L, N)`` holds the tree-level ``8L`` hashes of nodes
``N*256 .. N*256+255``, i.e. ``MTH(D[(N*256+i)*256**L : (N*256+i+1)*256**L])``.
Those are exactly the complete subtrees the store keeps (level 0: the entries'
leaf hashes; level ``8L`` >= 8: ``ledger_nodes``), so a tile is one range read of
the primary key.  A partial tile ``.p/W`` has the first ``W`` hashes.

Entry bundles are the entries of a level-0 tile, each as a big-endian uint16
length followed by the stored entry bytes (whose leaf hash is RFC 6962's).

Paths: ``tile/<L>/<N>[.p/<W>]`` and ``tile/entries/<N>[.p/<W>]`` with ``N`` in
zero-padded 3-digit groups, all but the last prefixed ``x`` (1234067 ->
``x001/x234/067``).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import Any

from ledger.errors import StoreError

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes
MAX_ENTRY_SIZE = 0xFFFF  # uint16 length prefix

_GROUP = re.compile(r"x\d{3}")
_LAST = re.compile(r"\d{3}")


class TilePathError(ValueError):
    """A tile path not in the spec's canonical form."""


@dataclass(frozen=True)
class TileRef:
    """A tile or entry bundle: ``level`` is None for an entry bundle; ``width`` 256 = full."""

    level: int | None
    index: int
    width: int = TILE_WIDTH

    @property
    def full(self) -> bool:
        return self.width == TILE_WIDTH

    @property
    def hash_level(self) -> int:
        """Tree level of the hashes in the tile (0 for bundles: their entries' leaves)."""
        return TILE_HEIGHT * (self.level or 0)

    @property
    def first(self) -> int:
        """Index, at ``hash_level``, of the tile's first hash."""
        return self.index * TILE_WIDTH

    def path(self) -> str:
        head = "tile/entries" if self.level is None else f"tile/{self.level}"
        tail = "" if self.full else f".p/{self.width}"
        return f"{head}/{encode_index(self.index)}{tail}"


def encode_index(n: int) -> str:
    """``1234067`` -> ``x001/x234/067``."""
    if n < 0:
        raise ValueError("tile index must be non-negative")
    groups = []
    while True:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])


def parse_index(text: str) -> tuple[int, int]:
    """Parse ``<N>[.p/<W>]``; return ``(index, width)``.  Raises ``TilePathError``."""
    width = TILE_WIDTH
    if ".p/" in text:
        text, w = text.split(".p/", 1)
        if not w.isdigit() or w != str(int(w)) or not 1 <= int(w) <= 255:
            raise TilePathError(f"partial width {w!r} must be 1..255 without leading zeros")
        width = int(w)
    groups = text.split("/")
    if not _LAST.fullmatch(groups[-1]) or not all(_GROUP.fullmatch(g) for g in groups[:-1]):
        raise TilePathError(f"tile index {text!r} is not in x-prefixed 3-digit groups")
    if len(groups) > 1 and groups[0] == "x000":
        raise TilePathError(f"tile index {text!r} has a leading zero group")
    index = int("".join(g.lstrip("x") for g in groups))
    return index, width


def parse_level(text: str) -> int:
    if not text.isdigit() or text != str(int(text)) or int(text) > 63:
        raise TilePathError(f"tile level {text!r} must be 0..63 without leading zeros")
    return int(text)


def tile_available(ref: TileRef, tree_size: int) -> bool:
    """Whether the tile's ``width`` hashes are all complete subtrees of a tree of ``tree_size``."""
    if ref.level is not None and ref.level * TILE_HEIGHT >= 64:
        return False
    complete = tree_size >> ref.hash_level  # number of complete nodes at that level
    return ref.first + ref.width <= complete


def read_tile(store: Any, conn: Any, ref: TileRef) -> bytes:
    """The tile's bytes: its ``width`` hashes concatenated, from one range read of the store.

    Preconditions: ``tile_available(ref, stored size)``.
    """
    hashes = store.level_hashes(conn, ref.hash_level, ref.first, ref.first + ref.width)
    if len(hashes) != ref.width:
        raise StoreError(f"stored tree lacks hashes of tile {ref.path()}")
    return b"".join(hashes)


def encode_bundle(entries: list[bytes]) -> bytes:
    """Entries as a C2SP entry bundle: big-endian uint16 length, then the bytes, each."""
    out = bytearray()
    for data in entries:
        if len(data) > MAX_ENTRY_SIZE:
            raise StoreError(f"entry of {len(data)} bytes exceeds the entry bundle limit of {MAX_ENTRY_SIZE}")
        out += struct.pack(">H", len(data))
        out += data
    return bytes(out)


def read_bundle(store: Any, conn: Any, ref: TileRef) -> bytes:
    entries = store.entries(conn, ref.first, ref.first + ref.width)
    if len(entries) != ref.width:
        raise StoreError(f"stored log lacks entries of bundle {ref.path()}")
    return encode_bundle(entries)


def decode_bundle(data: bytes) -> list[bytes]:
    """Split an entry bundle into its entries.  Raises ``ValueError`` on a truncated bundle."""
    out, pos = [], 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise ValueError("entry bundle ends inside a length prefix")
        (n,) = struct.unpack_from(">H", data, pos)
        pos += 2
        if pos + n > len(data):
            raise ValueError("entry bundle ends inside an entry")
        out.append(data[pos:pos + n])
        pos += n
    return out
