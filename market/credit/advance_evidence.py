"""The lender's evidence bundle for an order advance (order financing): it proves, from ledger
entries with inclusion proofs against one signed checkpoint (journal.proved_entries), that the
receivable it advanced on is real —

- the order was posted (`order.posted`),
- the buyer accepted a quote in which the factory has a share (`quote.accepted`; the share's
  amount disclosed from its commitment),
- it was produced (`lot.commissioned`, and the `operation.completed` entries of the factory's
  operations),
- shipped and delivered (`shipment.shipped`, `delivery.confirmed`, with the pieces),
- the payout was assigned to this lender on these terms (`payment.assigned`, disclosed) and,
  where the buyer did, the payable confirmed (`payment.payable_confirmed`).

Each stage is a fact `python -m ledger verify-evidence` recomputes offline: every referenced
entry must be of the stated type and name this order (`share_eq` over `event.what.order` gives
1.0000; no entry yet: no value), every disclosure must open its commitment, every entry must be
included in the signed tree. A stage not reached yet has no records and no value."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from ledger.evidence import EVIDENCE_FORMAT, figure

from market import errors
from market.auth import Actor
from market.credit import financing
from market.credit.facts import entry_reader
from market.credit.services import lender_access, log_read
from market.db import unit_of_work, write_lock
from market.journal.ledger import proved_entries
from market.matching import queries as sales
from market.orders.models import Order, OrderEvent
from market.payments import events as pay_events
from market.payments.models import PayoutAssignment
from market.production import queries as production

STAGES = ("order_posted", "order_accepted", "produced", "delivered", "assigned", "payable_confirmed")


def _entry(i: int, typ: str, path: str = "event.what.order") -> dict:
    return {"entry": i, "path": path, "type": typ}


def _stage(name: str, value: str, records: list[dict]) -> dict:
    """1.0000 when every referenced entry names `value` at its path; no records: no value."""
    return {"name": name, "value": None, "op": "share_eq", "args": {"value": value}, "window": None, "records": records}


def _sum(name: str, records: list[dict]) -> dict:
    return {"name": name, "value": None, "op": "sum", "args": None, "window": None, "records": records}


def bundle(actor: Actor, application_id: uuid.UUID) -> dict:
    """The bundle of an order-financing application (its lender, the factory, operators)."""
    with unit_of_work() as s:
        app = financing._find(s, actor, application_id)
        if app.kind != "order" or app.order_id is None:
            raise errors.NotFound("this application is not an order advance")
        a = s.scalar(select(PayoutAssignment).where(PayoutAssignment.reference == str(app.public_id)))
        if a is None:
            raise errors.NotFound("no payout assignment for this application")
        order = s.get(Order, app.order_id)
        factory = app.factory
        oid = str(order.public_id)
        facts: list[dict] = []
        disclosures: list[dict] = []

        posted = s.scalar(select(OrderEvent.ledger_index).where(OrderEvent.order_id == order.id,
                                                                OrderEvent.from_state.is_(None)))
        facts.append(_stage("order_posted", oid, [{"x": _entry(posted, "order.posted")}] if posted is not None else []))

        share = sales.order_share(s, order.id, factory.id)
        accepted = []
        if share is not None and share.ledger_index is not None:
            accepted = [{"x": _entry(share.ledger_index, "quote.accepted")}]
            disclosures.append({"entry": share.ledger_index, "path": _share_path(s, share, str(factory.public_id)),
                                "payload": share.payload, "salt": share.salt})
        facts.append(_stage("order_accepted", oid, accepted))
        if accepted:
            k = len(disclosures) - 1
            facts.append(_stage("share_of_factory", str(factory.public_id),
                                [{"x": {"disclosure": k, "path": "factory", "type": "quote.accepted"}}]))
            facts.append(_stage("share_on_order", oid, [{"x": {"disclosure": k, "path": "order", "type": "quote.accepted"}}]))
            facts.append(_sum("share_minor", [{"x": {"disclosure": k, "path": "amount_minor", "type": "quote.accepted"}}]))

        trail = production.order_trail(s, order.id, factory.id)
        produced = [{"x": _entry(i, "lot.commissioned")} for i in trail.commissioned] + \
                   [{"x": _entry(i, "operation.completed")} for i in trail.completed]
        facts.append(_stage("produced", oid, produced))
        facts.append({"name": "operations_completed", "value": None, "op": "count", "args": None, "window": None,
                      "records": [{"x": _entry(i, "operation.completed")} for i in trail.completed]})
        delivered = [{"x": _entry(i, "shipment.shipped")} for i in trail.shipped] + \
                    [{"x": _entry(i, "delivery.confirmed")} for i in trail.delivered]
        facts.append(_stage("delivered", oid, delivered))
        facts.append(_sum("pieces_delivered", [{"x": _entry(i, "delivery.confirmed", "event.what.quantity")}
                                               for i in trail.delivered]))

        assigned = []
        if a.ledger_index is not None:
            assigned = [{"x": _entry(a.ledger_index, "payment.assigned")}]
            disclosures.append({"entry": a.ledger_index, "path": "event.data.commitment",
                                "payload": pay_events.assignment_payload(a, order, str(factory.public_id),
                                                                         str(app.lender.public_id)),
                                "salt": a.salt})
            k = len(disclosures) - 1
            facts.append(_stage("assigned_to_lender", str(app.lender.public_id),
                                [{"x": {"disclosure": k, "path": "assignee", "type": "payment.assigned"}}]))
            facts.append(_sum("advance_due_minor",
                              [{"x": {"disclosure": k, "path": "principal_minor", "type": "payment.assigned"}},
                               {"x": {"disclosure": k, "path": "fee_minor", "type": "payment.assigned"}}]))
        facts.append(_stage("assigned", oid, assigned))
        confirmed = [{"x": _entry(a.buyer_confirmed_ledger_index, "payment.payable_confirmed", "event.what.assignment")}] \
            if a.buyer_confirmed_ledger_index is not None else []
        facts.append(_stage("payable_confirmed", str(a.public_id), confirmed))

        indices = sorted({ref["entry"] for f in facts for rec in f["records"] for ref in rec.values() if "entry" in ref}
                         | {d["entry"] for d in disclosures})
        if not indices:
            raise errors.Conflict("nothing of this order is on the ledger yet")
        read = entry_reader(s)
        entries_read = {i: read(i) for i in indices}
        for f in facts:  # the figures as the verifier will recompute them from these entries
            f["value"] = figure(f, entries_read, disclosures)
        consent = lender_access(s, actor, factory)
        if consent is not None:
            write_lock(s)
            log_read(s, actor, factory, consent, "evidence_downloaded", f"advance {app.public_id}")
            s.commit()
        cp, entries = proved_entries(s, indices)
        stages = {f["name"]: f["value"] == "1.0000" for f in facts if f["name"] in STAGES}
        return {"format": EVIDENCE_FORMAT,
                "subject": {"application": str(app.public_id), "assignment": str(a.public_id), "order": oid,
                            "factory": str(factory.public_id), "lender": str(app.lender.public_id), "stages": stages},
                "size": cp.tree_size, "checkpoint": cp.note, "public_key": cp.verifier_key,
                "entries": entries, "disclosures": disclosures, "facts": facts}


def _share_path(s, share, factory_public_id: str) -> str:
    """The quote.accepted entry holds one commitment per factory share: the factory's own."""
    entry = entry_reader(s)(share.ledger_index)
    for i, x in enumerate(entry["event"].get("data", {}).get("shares", [])):
        if x.get("factory") == factory_public_id:
            return f"event.data.shares.{i}.commitment"
    return "event.data.commitment"

