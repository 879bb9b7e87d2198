"""What credit tells the domains above it (market/bus.py). Not to be confused with events.py
(the ledger entries credit writes)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RatingPosted:
    """A buyer rated a delivered order (credit.ratings.rate_order), published in the rating's
    unit of work. `factory_ids`: the factories it rates (the accepted quote's)."""

    rating_id: int
    order_id: int
    factory_ids: tuple[int, ...]
    stars: int
    actor_user_id: int | None = None
