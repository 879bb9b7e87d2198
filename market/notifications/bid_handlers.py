"""Who hears of a bid's steps (catalogue.KINDS, group "bidding"): the buyer of the order for
what factories do, the bidding factory for what the buyer does. A texts' params carry the
order's title and, for the buyer, the bidding factory's name: never a price, and a losing
bidder never learns who won or at what price."""
from __future__ import annotations

from market.bidding.domain_events import (BidAccepted, BidCountered, BidExpired, BidLost, BidRejected,
                                          BidSubmitted, BidWithdrawn, CounterAnswered)
from market.bidding.models import Bid
from market.db import unit_of_work
from market.notifications import recipients as who
from market.notifications.fanout import Tell
from market.notifications.telling import save
from market.orders.models import Order


def _tell(event, kind: str, *, to_buyer: bool, actor_user_id: int | None = None, skip_invited: bool = False) -> None:
    with unit_of_work() as s:
        bid = s.get(Bid, event.bid_id)
        order = s.get(Order, event.order_id)
        params = {"order": order.title}
        if to_buyer:
            orgs = [order.buyer_org_id]
            params["factory"] = bid.factory.name
        else:
            orgs = [bid.factory_org_id]
            if skip_invited and bid.factory_org_id in who.invited_orgs(s, order.id):
                orgs = []  # told by order.awarded_elsewhere / order.cancelled already
        users = who.members(s, orgs, exclude_user_id=actor_user_id)
        save(s, [Tell(u, kind, dict(params)) for u in users], ("bid", str(bid.public_id)))


def on_bid_submitted(event: BidSubmitted) -> None:
    _tell(event, "bid.submitted" if event.revision == 1 else "bid.revised", to_buyer=True,
          actor_user_id=event.actor_user_id)


def on_bid_withdrawn(event: BidWithdrawn) -> None:
    _tell(event, "bid.withdrawn", to_buyer=True, actor_user_id=event.actor_user_id)


def on_bid_countered(event: BidCountered) -> None:
    _tell(event, "bid.countered", to_buyer=False, actor_user_id=event.actor_user_id)


def on_counter_answered(event: CounterAnswered) -> None:
    _tell(event, "bid.counter_accepted" if event.accepted else "bid.counter_rejected", to_buyer=True,
          actor_user_id=event.actor_user_id)


def on_bid_rejected(event: BidRejected) -> None:
    _tell(event, "bid.rejected", to_buyer=False, actor_user_id=event.actor_user_id)


def on_bid_accepted(event: BidAccepted) -> None:
    _tell(event, "bid.accepted", to_buyer=False)


def on_bid_lost(event: BidLost) -> None:
    _tell(event, "bid.lost" if event.reason == "awarded" else "bid.closed", to_buyer=False, skip_invited=True)


def on_bid_expired(event: BidExpired) -> None:
    _tell(event, "bid.expired", to_buyer=False)


HANDLED = (
    (BidSubmitted, on_bid_submitted), (BidWithdrawn, on_bid_withdrawn), (BidCountered, on_bid_countered),
    (CounterAnswered, on_counter_answered), (BidRejected, on_bid_rejected), (BidAccepted, on_bid_accepted),
    (BidLost, on_bid_lost), (BidExpired, on_bid_expired),
)
