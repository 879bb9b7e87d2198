"""The buyer's comparison of every offer on an order: the solver's quotes (matching) and the
factories' bids, side by side on price, promised date, supplier score and distance to the
delivery address. A read model over matching's and bidding's rows (both at or below here)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from market import policy
from market.auth import Actor
from market.bidding import services
from market.bidding.models import LIVE
from market.bidding.scores import supplier_score
from market.catalog.search import distance_km
from market.db import utcnow
from market.matching import services as matching
from market.orders import services as orders


@dataclass(frozen=True)
class Offer:
    kind: str  # "quote" | "bid"
    id: str
    label: str
    status: str
    total_minor: int
    currency: str
    promised_at: datetime
    late: bool
    factories: list[str]
    on_time_rate: float | None
    qc_pass_rate: float | None
    jobs_completed: int | None
    distance_km: float | None
    source: object  # the Quote or the Bid, for the page


def _lowest(values):
    values = [v for v in values if v is not None]
    return min(values) if values else None


def _facts(order, factories) -> dict:
    """Scores of an offer's factories (the weakest counts: a chain is as good as its weakest
    link) and its farthest factory's distance from the delivery address."""
    cards = [supplier_score(f.public_id) for f in factories]
    far = None
    if order.delivery_latitude is not None and order.delivery_longitude is not None:
        far = max(distance_km(f.latitude, f.longitude, order.delivery_latitude, order.delivery_longitude)
                  for f in factories)
    return {"on_time_rate": _lowest(getattr(c, "on_time_rate", None) for c in cards),
            "qc_pass_rate": _lowest(getattr(c, "qc_pass_rate", None) for c in cards),
            "jobs_completed": _lowest(getattr(c, "jobs_completed", None) for c in cards),
            "distance_km": round(far, 1) if far is not None else None}


def offers(actor: Actor, order_id: uuid.UUID) -> list[Offer]:
    """Open and accepted quotes, live and accepted bids, cheapest first. Buyer and operator only."""
    order = orders.get_order(actor, order_id)
    policy.require_order_buyer(actor, order)
    now = utcnow()
    out: list[Offer] = []
    for q in matching.list_quotes(actor, order_id):
        if q.status not in ("open", "accepted") or q.label == "bid":  # a bid's quote is shown as the bid
            continue
        factories = list({line.factory.id: line.factory for line in q.lines}.values())
        out.append(Offer("quote", str(q.public_id), q.label, q.status, q.total_minor, q.currency, q.promised_at,
                         q.promised_at > order.due_at, [f.name for f in factories], **_facts(order, factories),
                         source=q))
    for bid in services.bids_on_order(actor, order_id):
        if bid.status not in (*LIVE, "accepted"):
            continue
        status = "expired" if bid.expired(now) else bid.status
        out.append(Offer("bid", str(bid.public_id), bid.factory.name, status, bid.price_minor, bid.currency,
                         bid.promised_at, bid.promised_at > order.due_at, [bid.factory.name],
                         **_facts(order, [bid.factory]), source=bid))
    return sorted(out, key=lambda o: (o.total_minor, o.promised_at))
