"""What bidding does when orders tells it something (market/bus.py)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from market import bus
from market.bidding import services
from market.bidding.domain_events import BidAccepted, BidLost
from market.bidding.models import LIVE, Bid
from market.orders.domain_events import OrderMoving, actor_of
from market.catalog.models import Factory
from market.orders.models import Order, QuoteLine


def register(b: bus.MessageBus) -> None:
    # in the order's transaction: the winning bid turns 'accepted' with the booking, and the
    # others end with it, or none of it happens
    b.in_unit_of_work(OrderMoving, settle_bids)


def settle_bids(s: Session, event: OrderMoving) -> None:
    """An order accepted (through a bid's quote or a solver's) or cancelled ends its live bids:
    the bid whose quote was accepted wins; a bid of a factory the accepted quote books anyway
    is closed; every other one has lost (or is closed with a cancelled order). Each outcome is
    a step of its thread with its ledger entry."""
    if event.to_state not in ("accepted", "cancelled"):
        return
    order = s.get(Order, event.order_id)  # the publisher's locked object
    bids = list(s.scalars(select(Bid).where(Bid.order_id == order.id, Bid.status.in_(LIVE)).with_for_update(of=Bid)))
    actor = actor_of(event.actor)
    booked = set()  # organizations the accepted quote places work with
    if event.to_state == "accepted" and event.quote_id is not None:
        booked = set(s.scalars(select(Factory.organization_id).join(QuoteLine, QuoteLine.factory_id == Factory.id)
                               .where(QuoteLine.quote_id == event.quote_id)))
    for bid in bids:
        if event.to_state == "accepted" and event.quote_id is not None and bid.quote_id == event.quote_id:
            bid.status = "accepted"
            services.add_step(s, order, bid, "accepted", actor, price=bid.price_minor, promised=bid.promised_at)
            bus.publish(s, BidAccepted(bid.id, order.id, bid.factory_org_id))
        elif bid.factory_org_id in booked:
            # the buyer took a solver quote that books this factory anyway: its bid is moot, not lost
            bid.status = "closed"
            bid.counter_price_minor = bid.counter_promised_at = None
            services.add_step(s, order, bid, "closed", None)
        else:
            bid.status = "lost" if event.to_state == "accepted" else "closed"
            bid.counter_price_minor = bid.counter_promised_at = None
            services.add_step(s, order, bid, bid.status, None)
            bus.publish(s, BidLost(bid.id, order.id, bid.factory_org_id,
                                   "awarded" if event.to_state == "accepted" else "cancelled"))
