"""Ledger events of payments. The ledger is public: amounts never appear in clear. Each
event carries `commitment = commit(payload, salt)`; the payload is rebuilt from our row by
`payload(...)` and the salt is stored on the row, so a party shown both can verify it."""
from __future__ import annotations

from ledger.disclosure import commit
from ledger.events import Event

from market.db import utcnow

MOVEMENT_EVENTS = {"intent": "payment.intent_created", "capture": "payment.captured", "transfer": "payment.transferred",
                   "commission": "payment.commission_charged", "refund": "payment.refunded",
                   "commission_return": "payment.commission_returned", "reversal": "payment.reversed"}


def _po(order) -> dict:
    return {"bizTransactionList": [{"type": "po", "bizTransaction": str(order.public_id)}]}


def movement_payload(movement, order, factory_public_id: str | None) -> dict:
    """What a movement's commitment opens to (amounts in minor units, no floats)."""
    payload = {"order": str(order.public_id), "movement": str(movement.public_id), "kind": movement.kind,
               "amount_minor": movement.amount_minor, "currency": movement.currency}
    if factory_public_id:
        payload["factory"] = factory_public_id
    return payload


def movement_event(movement, order, org_public_id: str, factory_public_id: str | None) -> Event:
    what = {"order": str(order.public_id), "movement": str(movement.public_id)}
    if factory_public_id:
        what["factory"] = factory_public_id
    return Event(type=MOVEMENT_EVENTS[movement.kind], org=str(org_public_id), when=utcnow(), why=_po(order), what=what,
                 data={"provider": movement.provider,
                       "commitment": commit(movement_payload(movement, order, factory_public_id), movement.salt)})


def release_event(order, org_public_id: str, factory_public_ids: list[str]) -> Event:
    """Delivery confirmed: the held payouts become due (no amounts: those are in the transfers)."""
    return Event(type="payment.released", org=str(org_public_id), when=utcnow(), why=_po(order),
                 what={"order": str(order.public_id), "factories": sorted(factory_public_ids)})


def dispute_payload(dispute, order) -> dict:
    return {"order": str(order.public_id), "dispute": str(dispute.public_id), "reason": dispute.reason,
            "outcome": dispute.outcome or "", "refund_minor": dispute.refund_minor}


def dispute_opened(dispute, order, org_public_id: str) -> Event:
    # the reason is the buyer's words: committed, not published
    return Event(type="dispute.opened", org=str(org_public_id), when=utcnow(), why=_po(order),
                 what={"order": str(order.public_id), "dispute": str(dispute.public_id)},
                 data={"commitment": commit({"order": str(order.public_id), "dispute": str(dispute.public_id),
                                             "reason": dispute.reason}, dispute.salt)})


def dispute_resolved(dispute, order, org_public_id: str) -> Event:
    return Event(type="dispute.resolved", org=str(org_public_id), when=utcnow(), why=_po(order),
                 what={"order": str(order.public_id), "dispute": str(dispute.public_id)},
                 data={"outcome": dispute.outcome, "commitment": commit(dispute_payload(dispute, order), dispute.salt)})


MOVEMENT_EVENTS.update({"disbursement": "payment.disbursed", "assignee_payment": "payment.assignee_paid"})


def assignment_payload(a, order, factory_public_id: str, assignee_public_id: str) -> dict:
    """What an assignment's commitment opens to: who is paid first, how much, until when."""
    return {"order": str(order.public_id), "assignment": str(a.public_id), "factory": factory_public_id,
            "assignee": assignee_public_id, "reference": a.reference, "principal_minor": a.principal_minor,
            "fee_minor": a.fee_minor, "currency": a.currency, "due_on": a.due_on.isoformat() if a.due_on else None}


def assignment_event(type_: str, a, order, org_public_id: str, payload: dict) -> Event:
    """payment.assigned / payment.payable_confirmed / payment.assignment_settled /
    payment.assignment_recourse: opaque ids in clear, amounts only as a commitment."""
    return Event(type=type_, org=str(org_public_id), when=utcnow(), why=_po(order),
                 what={"order": str(order.public_id), "assignment": str(a.public_id)},
                 data={"commitment": commit(payload, a.salt)})
