"""What matching tells the domains above it (market/bus.py): quotes made or impossible, and
how a re-plan after a machine stopped went. Published in matching's unit of work; fields are
JSON-able (ids, ISO times, short codes)."""
from __future__ import annotations

from dataclasses import dataclass

# why a quote solve found nothing (NoQuotePossible.reason)
NO_QUOTE_REASONS = ("no_capacity", "value_not_declared", "over_ceiling")


@dataclass(frozen=True)
class QuotesReady:
    """A quote solve stored `alternatives` (>= 1) fresh quotes for the order; earlier open
    ones were superseded."""

    order_id: int
    job_id: int
    alternatives: int


@dataclass(frozen=True)
class NoQuotePossible:
    """A quote solve found no way to make the order; `reason` is one of NO_QUOTE_REASONS;
    `bottleneck`: the operation with the least capacity for what it needs ({"seq", "process"},
    market/matching/bottleneck.py), None when capacity was not the reason (over_ceiling)."""

    order_id: int
    job_id: int
    reason: str
    bottleneck: dict | None = None


@dataclass(frozen=True)
class Replanned:
    """A re-plan after a machine stopped moved the order's booked work (same factory);
    `ends_at`: when its booked work now ends (ISO), `late`: after the order's due date."""

    job_id: int
    order_id: int
    factory_org_id: int
    ends_at: str
    late: bool


@dataclass(frozen=True)
class ReplanFailed:
    """A re-plan could not move some of the order's booked work off a stopped machine:
    `operations` names them ("#2 on Mill 1 (maintenance)"); the work stays booked there."""

    job_id: int
    order_id: int
    factory_org_id: int
    operations: list
