"""Ledger events of the marketplace, in the EPCIS 2.0 / CBV shape. Public by design: no
prices, budgets, notes or drawings go in (they stay in the private tables)."""
from __future__ import annotations

from ledger.disclosure import commit
from ledger.events import Event

from market.db import utcnow

# the CBV business step that an order state change stands for
BIZ_STEPS = {"in_production": "commissioning", "shipped": "shipping", "delivered": "receiving",
             "accepted": "accepting", "cancelled": "void_shipping"}


def _po(order) -> dict:
    return {"bizTransactionList": [{"type": "po", "bizTransaction": str(order.public_id)}]}


def order_posted(order, org_public_id) -> Event:
    what = {"order": str(order.public_id), "partNumber": order.part_number, "quantity": order.quantity,
            "operations": [op.process_code for op in order.operations]}
    if not order.is_plain_routing:  # the structure asked for; component names and materials stay private
        what["components"] = [{"perParent": c.quantity_per_parent, "operations": list(c.seqs)}
                              for c in order.components]
        what["waitsFor"] = [list(w) for w in order.waits_for]
    return Event(type="order.posted", org=str(org_public_id), when=utcnow(), why=_po(order), what=what)


def order_state_changed(order, org_public_id, frm: str, to: str) -> Event:
    why = _po(order)
    if to in BIZ_STEPS:
        why["bizStep"] = BIZ_STEPS[to]
    return Event(type="order.state_changed", org=str(org_public_id), when=utcnow(), why=why,
                 what={"order": str(order.public_id)}, data={"from": frm, "to": to})


def quote_requested(order, buyer_public_id, factory_org_public_id) -> Event:
    return Event(type="order.quote_requested", org=str(buyer_public_id), when=utcnow(), why=_po(order),
                 what={"order": str(order.public_id)}, data={"factory": str(factory_org_public_id)})


def share_payload(order, factory_public_id: str, amount_minor: int, currency: str) -> dict:
    """What a factory's share commitment in quote.accepted opens to (see ledger.disclosure)."""
    return {"order": str(order.public_id), "factory": factory_public_id, "amount_minor": amount_minor,
            "currency": currency}


def quote_accepted(order, buyer_public_id, q, shares: dict[str, dict]) -> Event:
    """`shares`: factory public id -> {"payload", "salt"}; only the commitments go public."""
    return Event(type="quote.accepted", org=str(buyer_public_id), when=utcnow(), why=_po(order), what={
        "order": str(order.public_id), "quote": str(q.public_id)}, data={
        "label": q.label, "promised": q.promised_at.isoformat(),
        "shares": [{"factory": f, "commitment": commit(share["payload"], share["salt"])}
                   for f, share in sorted(shares.items())],
        "operations": [{"seq": line.seq, "factory": str(line.factory.public_id), "machine": str(line.machine.public_id),
                        "start": line.start_at.isoformat(), "end": line.end_at.isoformat()} for line in q.lines]})


def booking_rescheduled(order, job) -> Event:
    return Event(type="booking.rescheduled", org=str(order.buyer.public_id), when=utcnow(), why=_po(order),
                 what={"order": str(order.public_id)}, data={"reason": "machine down", "job": str(job.public_id)})
