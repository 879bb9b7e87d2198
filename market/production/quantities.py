"""Material quantities as integer thousandths of their unit: typed and shown as decimals
("12.5" kg <-> 12500), stored exactly (like money's minor units)."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

MAX_MILLI = 10**15  # a quadrillion thousandths: far beyond any lot, inside BigInteger


def parse(text) -> int | None:
    """Thousandths of `text` ("12.5" -> 12500), or None when it is no positive decimal with at
    most three decimals within range."""
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value <= 0:
        return None
    milli = value * 1000
    if milli != milli.to_integral_value() or milli > MAX_MILLI:
        return None
    return int(milli)


def display(milli: int) -> str:
    """12500 -> "12.5", 3000 -> "3" (the ledger's decimal string)."""
    text = f"{Decimal(milli) / 1000:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
