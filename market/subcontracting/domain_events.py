"""What subcontracting tells the domains above it (market/bus.py). Published in subcontracting's
unit of work; fields are JSON-able. Texts built from them never carry a price: a tier never
learns another tier's price."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SubOrderCreated:
    """A factory booked on `parent_order_id` passed its operations `operation_seqs` on as the
    open sub-order `sub_order_id` (tier `tier`), of which its organization `factory_org_id` is
    the buyer."""

    sub_order_id: int
    parent_order_id: int
    factory_org_id: int
    operation_seqs: list
    tier: int


@dataclass(frozen=True)
class SubOrderDelayed:
    """A sub-tier's delay moved when `order_id` (a tier above it) will be done: from `old`
    to `new` (ISO; `old` None when it had no promise yet). Published once per order whose
    promise moved, from the delayed sub-order up to the root."""

    order_id: int
    sub_order_id: int
    old: str | None
    new: str


@dataclass(frozen=True)
class SubOrderCancelled:
    """The sub-order `sub_order_id` was cancelled (by the factory that placed it, or with its
    parent by the cascade: `cascade`); `factory_org_id`, its buyer, is told when it did not
    cancel it itself."""

    sub_order_id: int
    parent_order_id: int
    factory_org_id: int
    cascade: bool
    actor_user_id: int | None = None


@dataclass(frozen=True)
class SubOrderCancelBlocked:
    """The parent of `sub_order_id` was cancelled while the sub-order was already in
    production: it is not cancelled without the sub-tier's agreement; the factory making it
    (`factory_org_ids`) and the operator are asked to settle it."""

    sub_order_id: int
    parent_order_id: int
    factory_org_ids: list
