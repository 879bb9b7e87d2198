"""Bids lapse: a live bid (open, or countered and awaiting the factory) whose validity ended is
marked expired by the periodic task `expire_bids` (market/ops/periodic.py, every
BID_EXPIRY_EVERY_S), with its `quote.bid_expired` step on the ledger and the factory told
(`BidExpired` -> notification `bid.expired`). Until the task runs, services already refuse to
act on a lapsed bid (services.require_live); the task makes it final and visible."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from market import bus
from market.bidding.domain_events import BidExpired
from market.bidding.models import LIVE, Bid
from market.bidding.services import add_step
from market.db import unit_of_work, utcnow, write_lock
from market.orders.models import Order

BATCH = 200  # bids expired per transaction: a long backlog is taken in turns, each short


def expire_bids(now: datetime | None = None) -> int:
    """Expire every live bid whose validity ended at `now` (the injected clock; default the
    current time). Safe to run twice or concurrently: each bid is re-read under its row lock
    and only a still-live one moves. Returns how many expired."""
    now = now or utcnow()
    done = 0
    while True:
        with unit_of_work() as s:
            write_lock(s)
            bids = list(s.scalars(select(Bid).where(Bid.status.in_(LIVE), Bid.expires_at <= now)
                                  .order_by(Bid.id).limit(BATCH).with_for_update(of=Bid)))
            for bid in bids:
                order = s.get(Order, bid.order_id)
                bid.status = "expired"
                bid.counter_price_minor = bid.counter_promised_at = None
                add_step(s, order, bid, "expired", None)
                bus.publish(s, BidExpired(bid.id, order.id, bid.factory_org_id))
            s.commit()
        done += len(bids)
        if len(bids) < BATCH:
            return done
