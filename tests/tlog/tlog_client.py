"""An independent C2SP tlog client, written from the specs alone, to check our log from outside.

c2sp.org/tlog-tiles, c2sp.org/tlog-checkpoint, c2sp.org/signed-note, RFC 6962 §2.1 and
RFC 9162 §2.1.3.2 / §2.1.4.2. It deliberately imports nothing from `ledger` (nor `market`):
Merkle hashing, proof construction from tiles and proof verification are re-done here from the
documents, so a bug in the server's proof code cannot hide behind the same bug in the check.
Only `cryptography` (Ed25519) and the standard library are used.
"""
from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class TlogError(Exception):
    """The log does not check out."""


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf(entry: bytes) -> bytes:  # RFC 6962 §2.1: MTH({d}) = SHA-256(0x00 || d)
    return sha256(b"\x00" + entry)


def interior(left: bytes, right: bytes) -> bytes:  # SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))
    return sha256(b"\x01" + left + right)


def split_point(n: int) -> int:  # k: the largest power of two smaller than n
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def tile_path(level: int | str, n: int, width: int) -> str:
    """tlog-tiles path: N in zero-padded 3-digit groups, all but the last prefixed with x."""
    digits = str(n)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i:i + 3] for i in range(0, len(digits), 3)]
    path = "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])
    return f"tile/{level}/{path}" + ("" if width == 256 else f".p/{width}")


# ---- checkpoints and signed notes --------------------------------------------------------

def parse_vkey(vkey: str) -> tuple[str, bytes, int, bytes]:
    """signed-note verifier key `name+hex(keyid)+base64(type || pubkey)` -> (name, key id, type, pubkey)."""
    name, key_hash, b64 = vkey.split("+", 2)
    raw = base64.b64decode(b64)
    return name, bytes.fromhex(key_hash), raw[0], raw[1:]


def open_signed_note(note: str, vkey: str) -> str:
    """Return the note's text if it carries a valid Ed25519 signature by `vkey` (unknown lines ignored)."""
    name, kid, alg, pub = parse_vkey(vkey)
    if alg != 0x01:
        raise TlogError("not an Ed25519 signed-note key")
    if sha256(name.encode() + b"\n" + bytes([alg]) + pub)[:4] != kid:
        raise TlogError("verifier key id does not match name and key")
    text, sep, sigs = note.rpartition("\n\n")
    if not sep:
        raise TlogError("note without signatures")
    text += "\n"
    for line in sigs.rstrip("\n").split("\n"):
        if not line.startswith("\u2014 "):
            raise TlogError(f"bad signature line {line!r}")
        sig_name, b64 = line[2:].split(" ")
        blob = base64.b64decode(b64)
        if sig_name == name and blob[:4] == kid:
            try:
                Ed25519PublicKey.from_public_bytes(pub).verify(blob[4:], text.encode())
            except InvalidSignature:
                raise TlogError("log signature does not verify") from None
            return text
    raise TlogError("no signature by the log key")


def cosigners(note: str, witness_vkeys: list[str]) -> set[str]:
    """Names of the witnesses (tlog-cosignature/v1, type 0x04) whose cosignature on `note` verifies."""
    text, _, sigs = note.rpartition("\n\n")
    text += "\n"
    good = set()
    for vkey in witness_vkeys:
        name, kid, alg, pub = parse_vkey(vkey)
        if alg != 0x04 or sha256(name.encode() + b"\n\x04" + pub)[:4] != kid:
            raise TlogError(f"{vkey} is not a cosignature/v1 key")
        for line in sigs.rstrip("\n").split("\n"):
            sig_name, b64 = line[2:].split(" ")
            blob = base64.b64decode(b64)
            if sig_name != name or blob[:4] != kid:
                continue
            (ts,) = struct.unpack(">Q", blob[4:12])
            message = f"cosignature/v1\ntime {ts}\n{text}".encode()
            try:
                Ed25519PublicKey.from_public_bytes(pub).verify(blob[12:], message)
            except InvalidSignature:
                raise TlogError(f"cosignature of {name} does not verify") from None
            good.add(name)
    return good


def parse_checkpoint(text: str, origin: str) -> tuple[int, bytes]:
    lines = text.rstrip("\n").split("\n")
    if lines[0] != origin:
        raise TlogError(f"origin {lines[0]!r}, expected {origin!r}")
    root = base64.b64decode(lines[2])
    if len(root) != 32:
        raise TlogError("root is not 32 bytes")
    return int(lines[1]), root


# ---- the tree from tiles -----------------------------------------------------------------

class TiledTree:
    """Hashes of the tree of `size` leaves with root `root` (from a verified checkpoint), read
    from tiles served for that size and authenticated before use: the right-edge tiles by
    recomputing the root at construction, every full tile by its hash in the tile above
    (tlog-tiles: a level l+1 hash is the MTH of a full level-l tile), every entry by its leaf
    hash in the level-0 tile."""

    def __init__(self, get: Callable[[str], bytes], size: int, root: bytes) -> None:
        self.get = get
        self.size = size
        self.tiles: dict[tuple, bytes] = {}
        if self.root(size) != root:
            raise TlogError(f"the tiles do not produce the checkpoint's root at size {size}")

    def _tile(self, level: int | str, n: int) -> bytes:
        key = (level, n)
        if key not in self.tiles:
            lvl = 0 if level == "entries" else level
            # tlog-tiles: the level-l tile n is full if the tree has (n+1)*256 hashes at that level,
            # else it is partial with floor(size / 256**l) mod 256 hashes
            count = self.size // 256 ** lvl
            width = 256 if (n + 1) * 256 <= count else count % 256
            if width == 0 or n * 256 >= count:
                raise TlogError(f"tile {level}/{n} does not exist at size {self.size}")
            data = self.get(tile_path(level, n, width))
            if level == "entries":
                self._check_bundle(n, width, data)
            else:
                if len(data) != 32 * width:
                    raise TlogError(f"tile {level}/{n} has {len(data)} bytes")
                if width == 256:
                    hashes = [data[i:i + 32] for i in range(0, len(data), 32)]
                    while len(hashes) > 1:
                        hashes = [interior(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
                    if hashes[0] != self.tile_hash(level + 1, n):
                        raise TlogError(f"tile {level}/{n} does not hash to its entry in the tile above")
            self.tiles[key] = data
        return self.tiles[key]

    def tile_hash(self, level: int, i: int) -> bytes:
        """The i-th hash of tile level `level`: MTH(D[i*256**level : (i+1)*256**level])."""
        data = self._tile(level, i // 256)
        k = i % 256
        return data[32 * k:32 * k + 32]

    def mth(self, begin: int, end: int) -> bytes:
        """RFC 6962 MTH(D[begin:end]) from the tiles (recursion on the definition)."""
        n = end - begin
        if n <= 0:
            raise TlogError("empty range")
        if n & (n - 1) == 0 and begin % n == 0:
            height = n.bit_length() - 1
            level, rest = divmod(height, 8)
            if rest == 0:
                return self.tile_hash(level, begin >> height)
            # a subtree between tile levels: hash up from the tile level below
            half = n // 2
            return interior(self.mth(begin, begin + half), self.mth(begin + half, end))
        k = split_point(n)
        return interior(self.mth(begin, begin + k), self.mth(begin + k, end))

    def root(self, size: int) -> bytes:
        return sha256(b"") if size == 0 else self.mth(0, size)

    def _check_bundle(self, n: int, width: int, data: bytes) -> None:
        entries, pos = [], 0
        while pos < len(data):
            (length,) = struct.unpack(">H", data[pos:pos + 2])
            entries.append(data[pos + 2:pos + 2 + length])
            pos += 2 + length
        if pos != len(data) or len(entries) != width:
            raise TlogError(f"entry bundle {n} is malformed")
        for i, e in enumerate(entries):
            if leaf(e) != self.tile_hash(0, n * 256 + i):
                raise TlogError(f"entry {n * 256 + i} does not hash to its level-0 tile hash")

    def entry(self, index: int) -> bytes:
        """Entry `index` from its (checked) entry bundle: big-endian uint16 length prefixes."""
        data = self._tile("entries", index // 256)
        pos = 0
        for _ in range(index % 256 + 1):
            (length,) = struct.unpack(">H", data[pos:pos + 2])
            start, pos = pos + 2, pos + 2 + length
        return data[start:pos]

    # RFC 6962 §2.1.1 PATH(m, D[n]) over D[begin:end]
    def path(self, m: int, begin: int, end: int) -> list[bytes]:
        n = end - begin
        if n == 1:
            return []
        k = split_point(n)
        if m < k:
            return self.path(m, begin, begin + k) + [self.mth(begin + k, end)]
        return self.path(m - k, begin + k, end) + [self.mth(begin, begin + k)]

    # RFC 6962 §2.1.2 SUBPROOF(m, D[n], b) over D[begin:end]
    def subproof(self, m: int, begin: int, end: int, b: bool) -> list[bytes]:
        n = end - begin
        if m == n:
            return [] if b else [self.mth(begin, end)]
        k = split_point(n)
        if m <= k:
            return self.subproof(m, begin, begin + k, b) + [self.mth(begin + k, end)]
        return self.subproof(m - k, begin + k, end, False) + [self.mth(begin, begin + k)]

    def consistency(self, old: int, new: int) -> list[bytes]:
        return [] if old in (0, new) else self.subproof(old, 0, new, True)


# ---- RFC 9162 verifiers ------------------------------------------------------------------

def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> None:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        raise TlogError("index beyond tree")
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise TlogError("inclusion proof too long")
        if fn & 1 or fn == sn:
            r = interior(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = interior(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        raise TlogError(f"inclusion of {index} in {size} does not verify")


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]) -> None:
    """RFC 9162 §2.1.4.2."""
    if old > new:
        raise TlogError("old size beyond new size")
    if old == new:
        if proof or old_root != new_root:
            raise TlogError("same size, different roots or non-empty proof")
        return
    if old == 0:
        if proof:
            raise TlogError("proof from the empty tree must be empty")
        return
    if not proof:
        raise TlogError("empty consistency proof")
    if old & (old - 1) == 0:  # old is a power of two: prepend its root
        proof = [old_root] + proof
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            raise TlogError("consistency proof too long")
        if fn & 1 or fn == sn:
            fr = interior(c, fr)
            sr = interior(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = interior(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != old_root or sr != new_root:
        raise TlogError(f"consistency {old} -> {new} does not verify")
