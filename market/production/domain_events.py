"""What production tells the domains above it (market/bus.py). Not to be confused with
events.py (the ledger entries production writes)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QcFailed:
    """An inspection of a lot failed (production.services.record_qc), published in the unit of
    work that records it. `operation_seq`: the operation inspected, None for the final one."""

    order_id: int
    lot_id: int
    qc_id: int
    operation_seq: int | None
    factory_id: int
    actor_user_id: int | None = None  # who recorded it
