"""Payout assignment (receivables financing, the payments side). A factory's payout on one
order can be assigned to a lender that advances money on it:

- `propose`: the factory applied (credit's financing service calls this in its transaction);
  the buyer may `confirm_payable` (one click, a ledger entry) — until then the lender sees
  the receivable as unconfirmed;
- `disburse`: the lender advances the principal; a `disbursement` movement (lender → factory,
  not escrow money: outside the order's invariant) goes out like a payout (offline: the
  operator confirms the bank transfer; Stripe: a Connect transfer), the terms are committed
  on the ledger (`payment.assigned`);
- on release (`split`) the escrow pays the assignee `due - paid` first (`assignee_payment`),
  the factory the rest, in the release's transaction;
- the waterfall: a dispute refund shrinks the payout first; what is left pays the assignee
  first; what the payout cannot cover — a refund, a cancellation, the buyer not paying by
  `due_on` (`mark_overdue`) — is a recourse claim on the factory (`state = recourse`).

Credit (above) learns of the assignee's repayment by `AssigneePaid` (market/bus.py)."""
from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.disclosure import new_salt
from market import bus, errors, policy
from market.accounts.models import Organization
from market.auth import Actor
from market.catalog.models import Factory
from market.db import unit_of_work, utcnow, write_lock
from market.journal.ledger import record
from market.orders.models import Order
from market.payments import events
from market.payments.domain_events import AssigneePaid
from market.payments.models import Movement, Payment, Payout, PayoutAssignment
from market.payments.movements import new_movement

LIVE = ("proposed", "disbursing", "active", "recourse")
IN_FORCE = ("disbursing", "active", "recourse")  # the assignee has committed money: it is paid first
OUT = ("transfer", "assignee_payment")  # money leaving the escrow for one payout


def _payout(s: Session, order_id: int, factory_id: int) -> Payout | None:
    return s.scalar(select(Payout).where(Payout.order_id == order_id, Payout.factory_id == factory_id)
                    .with_for_update(of=Payout))


def assignable_minor(s: Session, order_id: int, factory_id: int) -> int:
    """What the factory would receive from this order's escrow (its net payout) while the
    payout is still held and unassigned; 0 otherwise."""
    p = _payout(s, order_id, factory_id)
    if p is None or p.state != "held" or _live(s, p) is not None:
        return 0
    return p.net_minor


def _live(s: Session, p: Payout) -> PayoutAssignment | None:
    return s.scalar(select(PayoutAssignment).where(PayoutAssignment.payout_id == p.id,
                                                   PayoutAssignment.state.in_(LIVE)).limit(1))


def _by_reference(s: Session, reference: str) -> PayoutAssignment:
    a = s.scalar(select(PayoutAssignment).where(PayoutAssignment.reference == reference)
                 .with_for_update(of=PayoutAssignment))
    if a is None:
        raise errors.NotFound("no payout assignment for this financing")
    return a


def propose(s: Session, *, order_id: int, factory_id: int, assignee_org_id: int, reference: str,
            principal_minor: int, currency: str, max_percent: int = 100) -> PayoutAssignment:
    """The factory asks to assign its payout on the order. Refused when the payout is not
    held (released, frozen, cancelled), already assigned, or the principal is above
    `max_percent` % of the factory's net payout."""
    p = _payout(s, order_id, factory_id)
    if p is None:
        raise errors.Invalid("this order has no payout to this factory (no accepted quote with it)", field="order_id")
    if p.state != "held":
        raise errors.Invalid(f"the payout on this order is {p.state}: only a payout not yet released can be assigned",
                             field="order_id")
    if _live(s, p) is not None:
        raise errors.Invalid("the payout on this order is already assigned to a lender", field="order_id")
    payment = s.get(Payment, p.payment_id)
    if currency != payment.currency:
        raise errors.Invalid(f"the order is paid in {payment.currency}", field="currency")
    limit = p.net_minor * max_percent // 100
    if not 0 < principal_minor <= limit:
        raise errors.Invalid(f"an advance is at most {max_percent} % of the factory's net payout on this order: "
                             f"{limit} minor units", field="amount_minor")
    a = PayoutAssignment(public_id=uuid.uuid4(), payout_id=p.id, order_id=order_id, factory_id=factory_id,
                         assignee_org_id=assignee_org_id, reference=reference, principal_minor=principal_minor,
                         fee_minor=0, paid_minor=0, currency=currency, salt=new_salt(), created_at=utcnow())
    s.add(a)
    s.flush()
    return a


def withdraw(s: Session, reference: str) -> None:
    """The application was declined or withdrawn before any money moved."""
    a = s.scalar(select(PayoutAssignment).where(PayoutAssignment.reference == reference)
                 .with_for_update(of=PayoutAssignment))
    if a is not None and a.state == "proposed":
        a.state = "withdrawn"


def disburse(s: Session, *, reference: str, principal_minor: int, fee_minor: int, due_on: date) -> PayoutAssignment:
    """The assignee advances `principal_minor`: the advance is a movement to the factory and
    the payout now repays `principal + fee` first. The caller commits (and then runs the
    provider call with `execution.run_pending(order_id)`)."""
    a = _by_reference(s, reference)
    p = _payout(s, a.order_id, a.factory_id)
    if a.state != "proposed":
        raise errors.Conflict(f"this assignment is {a.state}")
    if p.state != "held":
        raise errors.Conflict(f"the payout on this order is {p.state}: it can no longer be assigned", field="order_id")
    if principal_minor <= 0 or fee_minor < 0 or principal_minor + fee_minor > p.net_minor:
        raise errors.Invalid(f"principal {principal_minor} + fee {fee_minor} exceeds the factory's net payout on this "
                             f"order, {p.net_minor} minor units", field="amount_minor")
    a.principal_minor, a.fee_minor, a.due_on, a.state = principal_minor, fee_minor, due_on, "disbursing"
    payment = s.get(Payment, p.payment_id)
    order = s.get(Order, a.order_id)
    new_movement(s, payment, "disbursement", principal_minor, payout=p,
                 reason=f"advance on assigned payout {a.public_id}")
    factory = s.get(Factory, a.factory_id)
    assignee = s.get(Organization, a.assignee_org_id)
    (entry,) = record(s, events.assignment_event(
        "payment.assigned", a, order, str(assignee.public_id),
        events.assignment_payload(a, order, str(factory.public_id), str(assignee.public_id))))
    a.ledger_index = entry.index
    return a


def disbursed(s: Session, m: Movement) -> None:
    """The advance reached the factory (its movement finished): the assignment is active."""
    a = s.scalar(select(PayoutAssignment).where(PayoutAssignment.payout_id == m.payout_id,
                                                PayoutAssignment.state == "disbursing").with_for_update(of=PayoutAssignment))
    if a is not None:
        a.state = "active"


def in_force(s: Session, payout_id: int) -> PayoutAssignment | None:
    return s.scalar(select(PayoutAssignment).where(PayoutAssignment.payout_id == payout_id,
                                                   PayoutAssignment.state.in_(IN_FORCE))
                    .with_for_update(of=PayoutAssignment).limit(1))


def paid_out(payment: Payment, p: Payout) -> int:
    """What left the escrow for payout `p` so far (net of reversals), pending included."""
    out = sum(m.amount_minor for m in payment.movements if m.payout_id == p.id and m.kind in OUT and m.state != "failed")
    return out - sum(m.amount_minor for m in payment.movements
                     if m.payout_id == p.id and m.kind == "reversal" and m.state != "failed")


def split(s: Session, payment: Payment, p: Payout) -> tuple[int, int]:
    """On release: (to the assignee, to the factory) of what is left of the payout — the
    assignee first, up to what it is still owed and not yet sent."""
    left = p.net_minor - paid_out(payment, p)
    if left < 0:
        raise errors.Conflict(f"more was paid out on this payout than it now holds ({-left} minor units): "
                              "the operator settles this by hand", field="to")
    a = in_force(s, p.id)
    if a is None:
        return 0, left
    queued = sum(m.amount_minor for m in payment.movements
                 if m.payout_id == p.id and m.kind == "assignee_payment" and m.state == "pending")
    first = min(left, max(0, a.due_minor - a.paid_minor - queued))
    return first, left - first


def assignee_paid(s: Session, m: Movement) -> None:
    """The escrow's payment to the assignee went out: count it; settled when all is repaid."""
    a = s.scalar(select(PayoutAssignment).where(PayoutAssignment.payout_id == m.payout_id,
                                                PayoutAssignment.state.in_(IN_FORCE))
                 .with_for_update(of=PayoutAssignment))
    if a is None:
        return
    a.paid_minor += m.amount_minor
    if a.paid_minor >= a.due_minor:
        _close(s, a, "settled")
    bus.publish(s, AssigneePaid(a.id, a.reference, m.amount_minor, a.paid_minor, a.due_minor, a.state))


def payout_finished(s: Session, p: Payout) -> None:
    """Nothing more will come from payout `p` (paid or cancelled): an assignment it did not
    repay in full becomes a recourse claim on the factory."""
    a = in_force(s, p.id)
    if a is not None and a.paid_minor < a.due_minor and a.state != "recourse":
        _close(s, a, "recourse")


def _close(s: Session, a: PayoutAssignment, state: str) -> None:
    a.state = state
    order = s.get(Order, a.order_id)
    factory = s.get(Factory, a.factory_id)
    assignee = s.get(Organization, a.assignee_org_id)
    payload = {**events.assignment_payload(a, order, str(factory.public_id), str(assignee.public_id)),
               "paid_minor": a.paid_minor, "outstanding_minor": a.outstanding_minor, "state": state}
    if state == "settled":
        a.settled_at = utcnow()
    (entry,) = record(s, events.assignment_event(f"payment.assignment_{state}", a, order, str(assignee.public_id),
                                                 payload))
    a.settled_ledger_index = entry.index


def mark_overdue(today: date | None = None) -> int:
    """Cron: assignments whose buyer has not paid by `due_on` move to recourse on the factory
    (the payout, if it ever releases, still repays the assignee first)."""
    today = today or utcnow().date()
    n = 0
    with unit_of_work() as s:
        write_lock(s)
        due = s.scalars(select(PayoutAssignment).join(Payment, Payment.order_id == PayoutAssignment.order_id).where(
            PayoutAssignment.state.in_(("disbursing", "active")), PayoutAssignment.due_on < today,
            Payment.state.in_(("requires_payment", "processing", "cancelled"))).with_for_update(of=PayoutAssignment))
        for a in list(due):
            _close(s, a, "recourse")
            n += 1
        s.commit()
    return n


# --- the buyer's confirmation, and what each party sees -----------------------------------

def confirm_payable(actor: Actor, order_public_id: uuid.UUID, assignment_public_id: uuid.UUID) -> PayoutAssignment:
    """The buyer confirms it owes this order's payment (one click): the assignee sees the
    receivable as confirmed. A ledger entry; confirming twice is a conflict."""
    from market.orders.services import find_order

    with unit_of_work() as s:
        write_lock(s)
        order = find_order(s, actor, order_public_id, lock=True)  # another tenant's order: 404
        a = s.scalar(select(PayoutAssignment).where(PayoutAssignment.public_id == assignment_public_id,
                                                    PayoutAssignment.order_id == order.id)
                     .with_for_update(of=PayoutAssignment))
        if a is None:
            raise errors.NotFound("no such assignment on this order")
        if not policy.is_order_buyer(actor, order):
            raise errors.Forbidden("only the buyer confirms what it owes")
        if a.state not in LIVE:
            raise errors.Conflict(f"this assignment is {a.state}")
        if a.buyer_confirmed_at is not None:
            raise errors.Conflict("the buyer has already confirmed this payable")
        payment = s.scalar(select(Payment).where(Payment.order_id == order.id))
        a.buyer_confirmed_at = utcnow()
        (entry,) = record(s, events.assignment_event(
            "payment.payable_confirmed", a, order, str(actor.org_public_id),
            {"order": str(order.public_id), "assignment": str(a.public_id), "payable_minor": payment.amount_minor,
             "currency": payment.currency, "confirmed_at": a.buyer_confirmed_at.isoformat()}))
        a.buyer_confirmed_ledger_index = entry.index
        s.commit()
        return a


def view(a: PayoutAssignment) -> dict:
    return {"id": a.public_id, "state": a.state, "principal_minor": a.principal_minor, "fee_minor": a.fee_minor,
            "due_minor": a.due_minor, "paid_minor": a.paid_minor, "outstanding_minor": a.outstanding_minor,
            "currency": a.currency, "due_on": a.due_on, "buyer_confirmed": a.buyer_confirmed_at is not None,
            "buyer_confirmed_at": a.buyer_confirmed_at, "ledger_index": a.ledger_index,
            "buyer_confirmed_ledger_index": a.buyer_confirmed_ledger_index}


def by_reference(s: Session, reference: str) -> dict | None:
    a = s.scalar(select(PayoutAssignment).where(PayoutAssignment.reference == reference))
    return view(a) if a is not None else None


def of_order(actor: Actor, order_public_id: uuid.UUID) -> list[dict]:
    """The buyer and the operator see every assignment of the order; a factory its own."""
    from market.orders.services import find_order

    with unit_of_work() as s:
        order = find_order(s, actor, order_public_id)
        rows = s.scalars(select(PayoutAssignment).where(PayoutAssignment.order_id == order.id)
                         .order_by(PayoutAssignment.id))
        out = []
        for a in rows:
            factory = s.get(Factory, a.factory_id)
            if actor.is_operator or policy.is_order_buyer(actor, order) or factory.organization_id == actor.org_id:
                out.append({**view(a), "factory_id": factory.public_id, "factory": factory.name,
                            "assignee": s.get(Organization, a.assignee_org_id).name})
        return out

