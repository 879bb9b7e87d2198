"""Stored ledger entries: canonical bytes of ``{event, index, prev_hash, signer, v}``.

``prev_hash`` is the hex of the previous entry's RFC 6962 *leaf hash*
(``SHA-256(0x00 || previous entry)``); the first entry uses 64 zeros.  The hash
chain therefore reuses the Merkle leaf hashes: an auditor hashes each entry
once and checks both the chain and the tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.encoding import canonical_bytes, decode, encode_string
from ledger.errors import EncodingError, EventError
from ledger.events import Event

FORMAT_VERSION = 1
GENESIS_PREV_HASH = bytes(32)
"""``prev_hash`` of entry 0."""

_PREV_KEY = b'"prev_hash":"'
_INDEX_KEY = b'"index":'


@dataclass(frozen=True)
class Entry:
    """A decoded ledger entry."""

    index: int
    prev_hash: bytes
    signer: str
    event: dict[str, Any]

    def to_event(self) -> Event:
        """Validate and return the entry's event as an ``Event``."""
        return Event.from_dict(self.event)


def encode_entry(*, index: int, prev_hash: bytes, signer: str, event: Event | dict[str, Any]) -> bytes:
    """Return the canonical bytes of one entry.

    Preconditions: ``index >= 0``; ``prev_hash`` is 32 bytes; ``signer`` is a
    non-empty organisation id; ``event`` is an ``Event`` (or its ``to_dict``).
    """
    if index < 0:
        raise ValueError(f"entry index {index} is negative")
    if len(prev_hash) != 32:
        raise ValueError(f"prev_hash has {len(prev_hash)} bytes, want 32")
    if not isinstance(signer, str) or not signer:
        raise ValueError(f"signer {signer!r} must be a non-empty organisation id")
    if isinstance(event, Event):
        # Same bytes as canonical_bytes(envelope): the keys are already in sorted order and
        # the event's canonical form is cached; test_entry checks the equivalence.
        return b"".join((
            b'{"event":', event.canonical, b',"index":', str(index).encode(), b',"prev_hash":"',
            prev_hash.hex().encode(), b'","signer":', encode_string(signer), b',"v":1}',
        ))
    return canonical_bytes(
        {"event": event, "index": index, "prev_hash": prev_hash.hex(), "signer": signer, "v": FORMAT_VERSION}
    )


def decode_entry(data: bytes) -> Entry:
    """Parse and check an entry's bytes (canonical form, fields, event); raises ``EncodingError``."""
    value = decode(data)
    if not isinstance(value, dict) or set(value) != {"event", "index", "prev_hash", "signer", "v"}:
        raise EncodingError("entry must be an object with event, index, prev_hash, signer, v")
    if value["v"] != FORMAT_VERSION:
        raise EncodingError(f"entry format version {value['v']!r} is not {FORMAT_VERSION}")
    if canonical_bytes(value) != bytes(data):
        raise EncodingError("entry bytes are not in canonical form")
    try:
        prev = bytes.fromhex(value["prev_hash"])
    except (TypeError, ValueError) as exc:
        raise EncodingError("entry prev_hash is not hex") from exc
    if len(prev) != 32 or not isinstance(value["index"], int):
        raise EncodingError("entry index or prev_hash malformed")
    try:
        Event.from_dict(value["event"])
    except EventError as exc:
        raise EncodingError(f"entry event invalid: {exc}") from exc
    return Entry(index=value["index"], prev_hash=prev, signer=value["signer"], event=value["event"])


def scan_link(data: bytes) -> tuple[int, bytes]:
    """Return ``(index, prev_hash hex as ASCII bytes)`` of an entry without parsing JSON.

    Relies on the canonical form: the top-level keys after ``event`` are
    ``index``, ``prev_hash``, ``signer``, ``v`` in that order, and JSON strings
    cannot contain an unescaped quote, so the *last* occurrences of these keys
    are the top-level ones.  Returns ``(-1, b"")`` when they are missing.
    """
    p = data.rfind(_PREV_KEY)
    i = data.rfind(_INDEX_KEY, 0, p)
    if p < 0 or i < 0:
        return -1, b""
    start = i + len(_INDEX_KEY)
    comma = data.find(b",", start, p)
    digits = data[start:comma]
    if comma < 0 or not digits.isdigit():
        return -1, b""
    return int(digits), data[p + len(_PREV_KEY): p + len(_PREV_KEY) + 64]
