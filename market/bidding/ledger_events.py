"""Ledger entries of the bid thread (the `quote` namespace: a bid is a factory's own quote).
Public by design: the prices and dates of a bid or a counter go in as salted commitments
(ledger.disclosure), like the shares of quote.accepted; the salts stay on the bid's steps."""
from __future__ import annotations

from ledger.disclosure import commit
from ledger.events import Event

from market.db import utcnow

TYPES = {"submitted": "quote.bid_submitted", "revised": "quote.bid_revised", "withdrawn": "quote.bid_withdrawn",
         "countered": "quote.bid_countered", "counter_accepted": "quote.bid_counter_accepted",
         "counter_rejected": "quote.bid_counter_rejected", "declined": "quote.bid_declined",
         "accepted": "quote.bid_accepted", "lost": "quote.bid_lost", "closed": "quote.bid_closed",
         "expired": "quote.bid_expired"}


def terms_payload(order, bid, step) -> dict:
    """What a step's commitment opens to: the figures of the terms (or the counter) it records."""
    return {"order": str(order.public_id), "bid": str(bid.public_id), "revision": step.revision, "kind": step.kind,
            "currency": bid.currency, "price_minor": step.price_minor,
            "promised": step.promised_at.isoformat() if step.promised_at else None,
            "expires": step.expires_at.isoformat() if step.expires_at else None,
            "operations": [{"seq": op.seq, "price_minor": op.price_minor} for op in step.operations]}


def bid_step(order, bid, step, org_public_id) -> Event:
    """The entry of one step; `org_public_id`: who took it (the factory, or the buyer for
    counters, declines and acceptances, the platform's buyer org for outcomes)."""
    data = {"revision": step.revision}
    if step.salt:
        data["commitment"] = commit(terms_payload(order, bid, step), step.salt)
    return Event(type=TYPES[step.kind], org=str(org_public_id), when=utcnow(),
                 why={"bizTransactionList": [{"type": "po", "bizTransaction": str(order.public_id)}]},
                 what={"order": str(order.public_id), "bid": str(bid.public_id)}, data=data)
