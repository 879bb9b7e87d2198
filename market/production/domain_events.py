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


@dataclass(frozen=True)
class LotStarted:
    """The first operation of a lot started (production.services.start_operation), published
    in its unit of work: the order's production is under way on the shop floor."""

    order_id: int
    lot_id: int
    seq: int
    factory_id: int
    actor_user_id: int | None = None


@dataclass(frozen=True)
class OperationFinished:
    """Operation `seq` of a lot finished with `good` pieces (and `rejected`), published in the
    unit of work that records it. `next_factory_ids`: the factories the accepted quote places
    the next operation with (empty after the last one): the pieces go to them."""

    order_id: int
    lot_id: int
    seq: int
    factory_id: int
    good: int
    rejected: int
    next_factory_ids: tuple[int, ...] = ()
    actor_user_id: int | None = None
