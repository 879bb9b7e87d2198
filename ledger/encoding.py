"""Canonical event encoding: deterministic JSON bytes.

Rules: object keys sorted, UTF-8 output (no ``\\u`` escapes for non-ASCII),
separators ``,`` and ``:`` without spaces, no floats.  Allowed values are
``None``, ``bool``, ``int``, ``str``, ``list``/``tuple`` and ``dict`` with
string keys.  Floats (including NaN and infinities) are refused: amounts are
integer minor units, measurements are strings or scaled integers.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from ledger.errors import EncodingError

_encoder = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False, check_circular=False
)


def check_canonical(value: Any, path: str = "$") -> None:
    """Raise ``EncodingError`` naming the JSON path of the first unsupported value."""
    if value is None or isinstance(value, (bool, str)):
        return
    if isinstance(value, int):
        return
    if isinstance(value, float):
        raise EncodingError(f"float {value!r} at {path} is not allowed; use an integer or a string")
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            check_canonical(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise EncodingError(f"key {key!r} at {path} is not a string")
            check_canonical(item, f"{path}.{key}")
        return
    raise EncodingError(f"{type(value).__name__} at {path} is not JSON-encodable canonically")


def canonical_bytes(value: Any) -> bytes:
    """Return the canonical JSON encoding of ``value`` as UTF-8 bytes.

    Preconditions: ``value`` holds only None, bool, int, str, list, tuple and
    dict with string keys (checked first; raises ``EncodingError``).
    """
    check_canonical(value)
    return _encoder.encode(value).encode("utf-8")


def canonical_bytes_unchecked(value: Any) -> bytes:
    """Like ``canonical_bytes`` without the type walk, for values already checked."""
    return _encoder.encode(value).encode("utf-8")


@lru_cache(maxsize=4096)
def encode_string(value: str) -> bytes:
    """Return the canonical JSON encoding of one string."""
    return _encoder.encode(value).encode("utf-8")


def decode(data: bytes) -> Any:
    """Parse canonical JSON bytes, refusing floats, NaN and duplicate keys."""

    def no_float(text: str) -> Any:
        raise EncodingError(f"float {text} is not allowed in canonical JSON")

    def no_constant(text: str) -> Any:
        raise EncodingError(f"{text} is not allowed in canonical JSON")

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in pairs:
            if key in out:
                raise EncodingError(f"duplicate key {key!r}")
            out[key] = item
        return out

    try:
        return json.loads(
            data.decode("utf-8"),
            parse_float=no_float,
            parse_constant=no_constant,
            object_pairs_hook=no_duplicates,
        )
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EncodingError(f"not canonical JSON: {exc}") from exc


def is_canonical(data: bytes) -> bool:
    """Return whether ``data`` is exactly the canonical encoding of what it decodes to."""
    try:
        return canonical_bytes(decode(data)) == data
    except EncodingError:
        return False
