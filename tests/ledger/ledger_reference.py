"""A slow, literal transcription of RFC 9162 §2.1 used to check the fast code.

Nothing here is shared with ``ledger``: it recomputes every hash recursively
straight from the definitions (MTH, PATH, PROOF/SUBPROOF).
"""

from __future__ import annotations

import hashlib


def mth(entries: list[bytes]) -> bytes:
    n = len(entries)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(entries[:k]) + mth(entries[k:])).digest()


def path(m: int, entries: list[bytes]) -> list[bytes]:
    n = len(entries)
    if n <= 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return path(m, entries[:k]) + [mth(entries[k:])]
    return path(m - k, entries[k:]) + [mth(entries[:k])]


def subproof(m: int, entries: list[bytes], complete: bool) -> list[bytes]:
    n = len(entries)
    if m == n:
        return [] if complete else [mth(entries)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return subproof(m, entries[:k], complete) + [mth(entries[k:])]
    return subproof(m - k, entries[k:], False) + [mth(entries[:k])]


def proof(m: int, entries: list[bytes]) -> list[bytes]:
    if m == 0 or m == len(entries):
        return []
    return subproof(m, entries, True)
