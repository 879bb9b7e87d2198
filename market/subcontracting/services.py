"""Subcontracting an order's operations: a factory booked on an order passes some of its
operations on as a sub-order (it is that order's buyer), which the market quotes, books,
makes and pays like any order, one tier down. The rules live here; the views only parse."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market import bus, errors, policy
from market.api_common import MAX_MINOR
from market.auth import Actor
from market.catalog.models import CapacityWindow
from market.db import unit_of_work, utcnow, write_lock
from market.journal.ledger import record
from market.matching import services as matching
from market.matching.models import SolveJob
from market.orders import history_notes, ledger_events
from market.orders.access import producing_orders
from market.orders.models import Operation, Order, OrderEvent, Quote
from market.orders.services import find_order
from market.subcontracting.domain_events import SubOrderCreated
from market.subcontracting.models import SubcontractNode
from market.subcontracting.promises import propagate

# an order can be passed on while its factory holds the booking and before it ships
SUBCONTRACTABLE = ("accepted", "in_production")
# sub-orders that still count: their operations are taken, their promise weighs on the parent
LIVE = ("draft", "open", "quoted", "accepted", "in_production", "shipped", "delivered", "closed", "disputed")
MAX_TIER = 5  # a chain deeper than this is a loop of factories passing work on, not a supply chain


@dataclass(frozen=True)
class Subcontracted:
    order: Order
    quote_job: SolveJob | None
    parent_id: uuid.UUID


def accepted_quote(s: Session, order: Order) -> Quote | None:
    return s.scalar(select(Quote).where(Quote.order_id == order.id, Quote.status == "accepted"))


def subcontract(actor: Actor, parent_public_id: uuid.UUID, operation_seqs: list[int], *, due_at: datetime | None = None,
                budget_minor: int | None = None, request_quotes: bool = True) -> Subcontracted:
    """Open a sub-order for operations `operation_seqs` of the parent order, with the
    caller's factory organization as its buyer; then (by default) ask the solver for quotes.
    Refused (nothing written) unless every operation is placed with one of the caller's
    factories by the parent's accepted quote and none is passed on already."""
    with unit_of_work() as s:
        write_lock(s)
        parent = find_order(s, actor, parent_public_id, lock=True)  # another tenant's order: 404, not 403
        policy.require_kind(actor, "factory")
        if parent.state not in SUBCONTRACTABLE:
            raise errors.refusal(errors.Conflict, _l("operations can be subcontracted while the order is accepted or in "
                                                      "production"), field="operation_seqs",
                                 detail=f"operations can be subcontracted while the order is accepted or in "
                                        f"production; it is {parent.state}")
        seqs = _check_operations(s, actor, parent, operation_seqs)
        if parent.tier + 1 > MAX_TIER:
            raise errors.refusal(errors.Invalid, _l("a sub-order of tier %(tier)s is too deep (at most %(max)s)",
                                                     tier=parent.tier + 1, max=MAX_TIER), field="operation_seqs")
        quote = accepted_quote(s, parent)
        lines = [ln for ln in quote.lines if ln.seq in seqs]
        factories = {ln.factory_id for ln in lines}
        if len(factories) != 1:
            raise errors.refusal(errors.Invalid, _l("subcontract operations placed with one of your factories at a time"),
                                 field="operation_seqs")
        factory = lines[0].factory
        # the parent needs the work back when its own slot for it would have ended, and never after its due date
        bound = min(max(ln.end_at for ln in lines), parent.due_at)
        now = utcnow()
        if due_at is None:
            due_at = bound
        elif due_at > bound:
            raise errors.refusal(errors.Invalid, _l("the parent order needs these operations done by %(when)s",
                                                     when=format_datetime(bound)), field="due_at",
                                 detail=f"the parent order needs these operations done by {bound.isoformat()}")
        if due_at <= now:
            raise errors.refusal(errors.Conflict, _l("the time booked for these operations has passed; they can no longer "
                                                      "be passed on"), field="due_at" if due_at != bound else "operation_seqs")
        by_seq = {op.seq: op for op in parent.operations}
        # a BOM component's operations go out as that component: its material, its pieces per
        # finished piece times the order's quantity (a shaft two to a pump is 2 × the pumps)
        parts = {by_seq[n].component for n in seqs}
        if len(parts) != 1:
            raise errors.refusal(errors.Invalid, _l("subcontract the operations of one component at a time (or of the "
                                                     "finished product alone)"), field="operation_seqs")
        part = by_seq[seqs[0]]
        quantity = parent.quantity * part.quantity_per_parent if part.component else parent.quantity
        own_price = sum(ln.price_minor for ln in lines)
        if budget_minor is None:
            budget_minor = own_price  # by default no subcontractor costs more than the work earns
        if not 0 <= budget_minor <= MAX_MINOR:
            raise errors.refusal(errors.Invalid, _l("a budget is 0 to %(max)s minor units", max=MAX_MINOR),
                                 field="budget_minor")
        sub = Order(buyer_org_id=actor.org_id, created_by_id=actor.user_id, state="open",
                    title=f"{parent.title} · {part.component + ' · ' if part.component else ''}"
                          f"#{', #'.join(map(str, seqs))}"[:200], part_number=parent.part_number,
                    material=(part.component_material or parent.material)[:100], quantity=quantity, due_at=due_at,
                    budget_minor=budget_minor,
                    declared_value_minor=parent.declared_value_minor, currency=parent.currency,
                    delivery_address=factory.address, delivery_latitude=factory.latitude,
                    delivery_longitude=factory.longitude,
                    required_certifications=list(parent.required_certifications or ()),
                    parent_order_id=parent.id, parent_operation_seqs=seqs, tier=parent.tier + 1)
        sub.operations = [Operation(seq=n, process_code=by_seq[seq].process_code, setup_minutes=by_seq[seq].setup_minutes,
                                    run_minutes_per_unit=by_seq[seq].run_minutes_per_unit,
                                    tolerance=by_seq[seq].tolerance, notes=by_seq[seq].notes)
                          for n, seq in enumerate(seqs, start=1)]
        s.add(sub)
        s.flush()
        created = OrderEvent(order_id=sub.id, from_state=None, to_state="open", actor_org_id=actor.org_id,
                             actor_user_id=actor.user_id, note=history_notes.SUBCONTRACTED(
                                 operations="#" + ", #".join(map(str, seqs)), tier=parent.tier))
        s.add(created)
        created.ledger_index = record(s, ledger_events.order_posted(sub, actor.org_public_id))[0].index
        if s.get(SubcontractNode, parent.id) is None:
            s.add(SubcontractNode(order_id=parent.id, promised_at=_own_promise(s, parent, quote)))
            s.flush()
            propagate(s, parent)
        s.add(SubcontractNode(order_id=sub.id))
        bus.publish(s, SubOrderCreated(sub.id, parent.id, actor.org_id, seqs, sub.tier))
        s.commit()
        sub_public_id = sub.public_id
    job = matching.request_quotes(actor, sub_public_id) if request_quotes else None
    with unit_of_work() as s:
        order = s.scalar(select(Order).where(Order.public_id == sub_public_id))
        order.operations  # noqa: B018 - loaded before the session closes
        return Subcontracted(order, job, parent_public_id)


def _check_operations(s: Session, actor: Actor, parent: Order, operation_seqs: list[int]) -> list[int]:
    """The operations as sorted unique seqs; 422 for ones the order lacks, 403 for ones not
    placed with the caller, 409 for ones already passed on."""
    seqs = sorted(set(operation_seqs or ()))
    if not seqs:
        raise errors.refusal(errors.Invalid, _l("choose at least one operation to subcontract"), field="operation_seqs")
    known = {op.seq for op in parent.operations}
    unknown = [n for n in seqs if n not in known]
    if unknown:
        raise errors.refusal(errors.Invalid, _l("the order has no operation #%(seq)s (it has #1 to #%(last)s)",
                                                 seq=unknown[0], last=max(known)), field="operation_seqs")
    quote = accepted_quote(s, parent)
    owner = {ln.seq: ln.factory.organization_id for ln in quote.lines} if quote else {}
    foreign = [n for n in seqs if owner.get(n) != actor.org_id]
    if foreign:
        raise errors.refusal(errors.Forbidden, _l("operation #%(seq)s is not placed with your factory; only the factory "
                                                   "the accepted quote placed an operation with may subcontract it",
                                                   seq=foreign[0]), field="operation_seqs")
    taken = set()
    for other in s.scalars(select(Order).where(Order.parent_order_id == parent.id, Order.state != "cancelled")):
        taken |= set(other.parent_operation_seqs or ())
    again = [n for n in seqs if n in taken]
    if again:
        raise errors.refusal(errors.Conflict, _l("operation #%(seq)s is subcontracted already; cancel that sub-order "
                                                  "first", seq=again[0]), field="operation_seqs")
    return seqs


def _own_promise(s: Session, order: Order, quote: Quote | None) -> datetime | None:
    """When the order's own booked work ends: the accepted quote's promise, or later if a
    re-plan moved the booked slices past it."""
    ends = s.scalar(select(func.max(CapacityWindow.end_at)).where(CapacityWindow.booked_order_id == order.id))
    promised = quote.promised_at if quote else None
    return max(p for p in (promised, ends) if p is not None) if (promised or ends) else None


def set_name_disclosed(actor: Actor, sub_public_id: uuid.UUID, disclosed: bool) -> SubcontractNode:
    """The factory making a sub-order lets the buyers above it see its name (or withdraws that)."""
    with unit_of_work() as s:
        sub = find_order(s, actor, sub_public_id, lock=True)
        policy.require_kind(actor, "factory")
        node = s.get(SubcontractNode, sub.id)
        if sub.parent_order_id is None or node is None:
            raise errors.refusal(errors.Invalid, _l("this order is no sub-order"), field="order_id")
        makers = set(s.scalars(producing_orders(actor)))
        if sub.id not in makers:
            raise errors.refusal(errors.Forbidden, _l("only a factory the sub-order's accepted quote places work with may "
                                                       "disclose its name"), field="name_disclosed")
        node.name_disclosed = bool(disclosed)
        s.commit()
        s.refresh(node)
        return node


def settle_blocked_cancel(actor: Actor, sub_public_id: uuid.UUID, agreed: bool) -> SubcontractNode:
    """The sub-tier answers the cancellation of a sub-order already in production (its parent
    was cancelled): `agreed` records that it stops (the operator settles the money of the
    work done by hand, through a dispute); otherwise it finishes and the operator mediates."""
    with unit_of_work() as s:
        sub = find_order(s, actor, sub_public_id, lock=True)
        node = s.get(SubcontractNode, sub.id)
        if node is None or node.cancel_flag != "needs_agreement":
            raise errors.refusal(errors.Conflict, _l("no cancellation of this sub-order waits for an answer"), field="agreed")
        if not (actor.is_operator or sub.id in set(s.scalars(producing_orders(actor)))):
            raise errors.refusal(errors.Forbidden, _l("only the factory making the sub-order answers"), field="agreed")
        node.cancel_flag = "agreed" if agreed else "refused"
        s.add(OrderEvent(order_id=sub.id, from_state=sub.state, to_state=sub.state, actor_org_id=actor.org_id,
                         actor_user_id=actor.user_id,
                         note=history_notes.SUB_TIER_STOPS() if agreed else history_notes.SUB_TIER_FINISHES()))
        s.commit()
        s.refresh(node)
        return node


def makes(actor: Actor, order: Order) -> bool:
    """The actor's organization makes part of the order (its accepted quote places work with it)."""
    with unit_of_work() as s:
        return order.id in set(s.scalars(producing_orders(actor)))


def passable_operations(actor: Actor, order: Order) -> list[tuple[int, str]]:
    """(seq, process code) of the order's operations placed with the actor's factories and not
    passed on yet: what its order page offers to subcontract."""
    if actor.org_kind != "factory":
        return []
    with unit_of_work() as s:
        quote = accepted_quote(s, order)
        if quote is None:
            return []
        taken = set()
        for other in s.scalars(select(Order).where(Order.parent_order_id == order.id, Order.state != "cancelled")):
            taken |= set(other.parent_operation_seqs or ())
        mine = {ln.seq: ln.process_code for ln in quote.lines
                if ln.factory.organization_id == actor.org_id and ln.seq not in taken}
        return sorted(mine.items())
