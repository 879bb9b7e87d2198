"""What bidding tells the domains above it (market/bus.py): the steps of a bid thread that
another party must act on or know of. Published in the step's unit of work; the fields are
ids and states only (a listener reads what its recipients may know from the database, and a
losing factory is never told who won or at what price)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BidSubmitted:
    """A factory submitted a bid on an order (revision 1) or revised it (revision > 1)."""

    bid_id: int
    order_id: int
    factory_org_id: int
    revision: int
    actor_user_id: int | None = None


@dataclass(frozen=True)
class BidWithdrawn:
    """A factory withdrew its bid."""

    bid_id: int
    order_id: int
    factory_org_id: int
    actor_user_id: int | None = None


@dataclass(frozen=True)
class BidCountered:
    """The buyer countered a bid (price and/or date); the factory must answer."""

    bid_id: int
    order_id: int
    factory_org_id: int
    actor_user_id: int | None = None


@dataclass(frozen=True)
class CounterAnswered:
    """The factory accepted (`accepted`) or rejected the buyer's counter."""

    bid_id: int
    order_id: int
    factory_org_id: int
    accepted: bool
    actor_user_id: int | None = None


@dataclass(frozen=True)
class BidRejected:
    """The buyer declined a bid."""

    bid_id: int
    order_id: int
    factory_org_id: int
    actor_user_id: int | None = None


@dataclass(frozen=True)
class BidAccepted:
    """The buyer accepted a bid: the factory's capacity is booked in the same transaction."""

    bid_id: int
    order_id: int
    factory_org_id: int


@dataclass(frozen=True)
class BidLost:
    """A live bid ended without being chosen: `reason` 'awarded' (the order went to another
    offer) or 'cancelled' (the buyer cancelled the order)."""

    bid_id: int
    order_id: int
    factory_org_id: int
    reason: str


@dataclass(frozen=True)
class BidExpired:
    """A live bid's validity ended before the buyer took it (bidding.expiry, periodic): the
    factory may bid again if it still wants the work."""

    bid_id: int
    order_id: int
    factory_org_id: int
