"""Salted commitments: private facts (prices, amounts, OEE figures) on a public ledger.

Ledger entries can be fetched by anyone, so an event never carries a private value in
clear. It carries ``commit(payload, salt)`` instead; the salt stays with the private record.
Whoever is later shown ``(payload, salt)`` (a lender reading a credit report, an auditor)
checks it against the entry, and the entry's inclusion proof pins it to a checkpoint.
The random salt stops anyone guessing a small payload (a price) by trying values.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from ledger.encoding import canonical_bytes

SALT_BYTES = 16


def new_salt() -> str:
    """A fresh random salt, hex (store it beside the private record)."""
    return secrets.token_hex(SALT_BYTES)


def commit(payload: dict[str, Any], salt: str) -> str:
    """Hex SHA-256(salt bytes ‖ canonical JSON of payload). Payload must be canonical (no floats)."""
    return hashlib.sha256(bytes.fromhex(salt) + canonical_bytes(payload)).hexdigest()


def opens(commitment: str, payload: dict[str, Any], salt: str) -> bool:
    """True when (payload, salt) is what the commitment was made from."""
    try:
        return hmac.compare_digest(commit(payload, salt), commitment)
    except (ValueError, TypeError):
        return False
