"""Trace codes: 12 Crockford base32 characters (60 random bits), shown as XXXX-XXXX-XXXX.

Short enough to type from a label, unguessable enough that lots cannot be enumerated,
and forgiving when read aloud or retyped (O->0, I/L->1, case and dashes ignored)."""
from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
_SUBSTITUTES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(text: str) -> str | None:
    """The stored form of a code as typed, or None when it cannot be one."""
    code = "".join(text.split()).replace("-", "").upper().translate(_SUBSTITUTES)
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def display(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, LENGTH, 4))
