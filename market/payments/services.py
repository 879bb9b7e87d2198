"""Payments follow the order. `on_order_transition` runs on every `OrderMoving` (payments.handlers)
inside the transaction that changes the order's state: it writes what must happen to the money
(payment, payouts, pending movements, ledger events) in that same transaction, and asks
for the provider calls to run once that transaction has committed (`execution`)."""
from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.disclosure import new_salt
from market import bus, errors, policy
from market.accounts.models import Organization
from market.auth import Actor
from market.catalog.models import Factory
from market.catalog.taxonomy import taxonomy
from market.db import unit_of_work, utcnow, write_lock
from market.i18n import money
from market.orders import history_notes
from market.orders.models import Order
from market.payments import assignments, commission, events, execution, sub_escrow
from market.payments.domain_events import PaymentRequested
from market.payments.movements import after_commit, new_movement, post_to_ledger
from market.payments.models import (CommissionRule, Dispute, DisputeOutcome, FactoryPlan, Movement, Payment, Payout)
from market.payments.providers import configured_name
from market.journal.ledger import record

# --- rules and tiers -------------------------------------------------------------------

def load_rules(s: Session) -> dict[tuple[str, str | None], commission.Rule]:
    return {**commission.DEFAULT_RULES, **{(r.tier, r.process_class): commission.Rule(r.percent_bp, r.minimum_minor)
                                           for r in s.scalars(select(CommissionRule))}}


def tiers_of(s: Session, factory_ids: set[int]) -> dict[int, str]:
    rows = s.execute(select(Factory.id, FactoryPlan.tier).outerjoin(
        FactoryPlan, FactoryPlan.organization_id == Factory.organization_id).where(Factory.id.in_(factory_ids)))
    return {fid: tier or "free" for fid, tier in rows}


def _class_of(process_code: str) -> str:
    process = taxonomy().processes.get(process_code)
    return process.class_code if process else process_code


def quote_split(s: Session, quote) -> list[commission.Share]:
    lines = [commission.Line(line.seq, line.factory_id, _class_of(line.process_code), line.price_minor) for line in quote.lines]
    return commission.split(lines, quote.transport_minor, load_rules(s), tiers_of(s, {ln.factory_id for ln in lines}))


def quote_terms(quote) -> dict:
    """What the platform keeps of a quote and what each factory receives (shown on quotes)."""
    with unit_of_work() as s:
        shares = quote_split(s, quote)
        names = {f.id: (str(f.public_id), f.name) for f in s.scalars(select(Factory).where(
            Factory.id.in_([sh.factory_id for sh in shares])))}
    return {"commission_minor": sum(sh.commission_minor for sh in shares),
            "factories": [{"factory_id": names[sh.factory_id][0], "factory": names[sh.factory_id][1], "tier": sh.tier,
                           "gross_minor": sh.gross_minor, "transport_minor": sh.transport_minor,
                           "commission_minor": sh.commission_minor, "net_minor": sh.net_minor,
                           "breakdown": sh.breakdown} for sh in shares]}


def _run_order(order_id: int):
    def run():
        execution.run_pending(order_id)
    return run


# --- the hook ----------------------------------------------------------------------------

def on_order_transition(s: Session, order: Order, frm: str, to: str, actor: Actor | None, *, note: str = "",
                        quote=None) -> None:
    """Run inside the order's transaction (payments.handlers, on `OrderMoving`), after the move
    was checked, before it is recorded. May refuse the move (raise) — nothing is then written."""
    payment = s.scalar(select(Payment).where(Payment.order_id == order.id).with_for_update(of=Payment))
    if to == "accepted" and quote is not None:
        _start_payment(s, order, quote)
        return
    if to == "in_production" and payment is not None and current_app.config["PAYMENT_BEFORE_PRODUCTION"] \
            and payment.state != "captured":
        raise errors.Conflict(f"production starts once the buyer has paid; the payment is {payment.state.replace('_', ' ')}",
                              field="to")
    if frm == "disputed":
        _apply_resolution(s, order, payment, to)
    if to == "cancelled" and payment is not None:
        _cancel(s, order, payment)
    elif to == "disputed":
        _open_dispute(s, order, payment, frm, actor, note)
    elif to == "delivered" and payment is not None:
        _release(s, order, payment)
    if payment is not None:
        after_commit(s, _run_order(order.id))


def _start_payment(s: Session, order: Order, quote) -> None:
    if s.scalar(select(Payment.id).where(Payment.order_id == order.id)) is not None:
        raise errors.Conflict("this order already has a payment")
    amount = quote.price_minor + quote.transport_minor
    payment = Payment(order_id=order.id, quote_id=quote.id, buyer_org_id=order.buyer_org_id, provider=configured_name(),
                      amount_minor=amount, currency=quote.currency, reference=f"SMM-{secrets.token_hex(5).upper()}")
    s.add(payment)
    s.flush()
    shares = quote_split(s, quote)
    if sum(sh.gross_minor for sh in shares) != amount:
        raise errors.Conflict(f"quote lines and transport add up to {sum(sh.gross_minor for sh in shares)}, "
                              f"not the quoted {amount}")
    orgs = dict(s.execute(select(Factory.id, Factory.organization_id).where(
        Factory.id.in_([sh.factory_id for sh in shares]))).all())
    for sh in shares:
        s.add(Payout(payment_id=payment.id, order_id=order.id, factory_id=sh.factory_id, factory_org_id=orgs[sh.factory_id],
                     tier=sh.tier, gross_minor=sh.gross_minor, commission_minor=sh.commission_minor,
                     breakdown=sh.breakdown + ([{"transport_minor": sh.transport_minor}] if sh.transport_minor else [])))
    intent = new_movement(s, payment, "intent", amount, state="succeeded")
    post_to_ledger(s, order, [intent])
    if sub_escrow.is_sub_order(order):  # paid out of the subcontracting factory's payout, not by card or bank
        sub_escrow.reserve(s, order, amount)
        sub_escrow.fund(s, payment)
    else:
        bus.publish(s, PaymentRequested(order.id, payment.id, amount, payment.currency, payment.reference))
    after_commit(s, _run_order(order.id))


def _live_payouts(payment: Payment | None, *states: str) -> list[Payout]:
    return [p for p in (payment.payouts if payment else []) if p.state in states]


def _pending(payment: Payment, kind: str, payout: Payout | None = None) -> list[Movement]:
    return [m for m in payment.movements if m.kind == kind and m.state == "pending"
            and (payout is None or m.payout_id == payout.id)]


def _cancel(s: Session, order: Order, payment: Payment) -> None:
    """Cancelled before production: a captured payment is refunded in full; an unpaid one
    is cancelled at the provider."""
    for p in _live_payouts(payment, "held", "frozen"):
        p.state = "cancelled"
        assignments.payout_finished(s, p)
    if sub_escrow.is_sub_order(order):  # its escrow goes back to the payout it came from
        sub_escrow.give_back(s, order, payment, payment.amount_minor - _refunded(payment), "order cancelled")
        if payment.state in ("requires_payment", "processing"):
            payment.state = "cancelled"
        return
    # money set aside for sub-orders still running stays with them (cancelling gives back the others')
    kept = sum(p.subcontracted_minor for p in payment.payouts)
    if payment.state == "captured" and payment.amount_minor - _refunded(payment) - kept > 0:
        new_movement(s, payment, "refund", payment.amount_minor - _refunded(payment) - kept, reason="order cancelled")
    elif payment.state in ("requires_payment", "processing"):
        payment.state = "cancelled"
        after_commit(s, _cancel_intent(payment.id))


def _cancel_intent(payment_id: int):
    def run():
        execution.cancel_intent(payment_id)
    return run


def _refunded(payment: Payment) -> int:
    return sum(m.amount_minor for m in payment.movements if m.kind == "refund" and m.state != "failed")


def _release(s: Session, order: Order, payment: Payment) -> None:
    """Delivery confirmed: every held payout becomes due; its transfer is recorded now."""
    due = _live_payouts(payment, "held")
    for p in due:
        _queue_transfer(s, payment, p)
    if due:
        factory_ids = [str(p.factory.public_id) for p in due]
        record(s, events.release_event(order, str(order.buyer.public_id), factory_ids))


def _queue_transfer(s: Session, payment: Payment, p: Payout) -> None:
    """The payout's money leaves the escrow: an assignee (a lender that advanced on it) is
    paid first, the factory the rest (market/payments/assignments.py), both written now."""
    p.state, p.released_at = "releasing", utcnow()
    first, rest = assignments.split(s, payment, p)
    if first <= 0 and rest <= 0:  # nothing to send (refunded, all of it is commission, or paid on to subcontractors)
        kept = execution.complete_payout(s, payment, p)
        if kept:
            post_to_ledger(s, s.get(Order, payment.order_id), kept)
        return
    for kind, amount in (("assignee_payment", first), ("transfer", rest)):
        if amount > 0:
            earlier = [m.attempt for m in payment.movements if m.kind == kind and m.payout_id == p.id]
            new_movement(s, payment, kind, amount, payout=p, attempt=max(earlier, default=0) + 1)


def _open_dispute(s: Session, order: Order, payment: Payment | None, frm: str, actor: Actor, note: str) -> None:
    dispute = Dispute(order_id=order.id, payment_id=payment.id if payment else None, opened_by_org_id=actor.org_id,
                      from_state=frm, reason=note.strip(), salt=new_salt(), public_id=uuid.uuid4())
    s.add(dispute)
    s.flush()
    for p in _live_payouts(payment, "held", "releasing"):
        unsent = [m for m in _pending(payment, "transfer", p) + _pending(payment, "assignee_payment", p)
                  if m.claimed_at is None]
        if p.state == "held" or unsent:
            for m in unsent:  # not sent yet: it waits for the resolution
                m.state, m.error, m.done_at = "failed", "frozen by a dispute", utcnow()
            p.state = "frozen"
    for p in (payment.payouts if payment else []):
        s.add(DisputeOutcome(dispute_id=dispute.id, factory_id=p.factory_id, order_id=order.id,
                             opened_at=dispute.opened_at or utcnow(), currency=payment.currency))
    if payment is None:
        for factory_id in _factories_of(s, order):
            s.add(DisputeOutcome(dispute_id=dispute.id, factory_id=factory_id, order_id=order.id,
                                 opened_at=utcnow(), currency=order.currency))
    (entry,) = record(s, events.dispute_opened(dispute, order, str(actor.org_public_id)))
    dispute.opened_ledger_index = entry.index


def _factories_of(s: Session, order: Order) -> list[int]:
    from market.catalog.models import CapacityWindow

    return sorted(set(s.scalars(select(CapacityWindow.factory_id).where(CapacityWindow.booked_order_id == order.id))))


def _apply_resolution(s: Session, order: Order, payment: Payment | None, to: str) -> None:
    """Leaving 'disputed' carries out the operator's decision recorded on the dispute."""
    dispute = s.scalar(select(Dispute).where(Dispute.order_id == order.id, Dispute.state.in_(("open", "resolving")))
                       .order_by(Dispute.id.desc()).with_for_update(of=Dispute))
    if dispute is None or dispute.state != "resolving":
        raise errors.Conflict("decide the dispute first (release, partial refund or full refund) on its resolution page",
                              field="to")
    expected = "delivered" if dispute.outcome == "released" else "closed"
    if to != expected:
        raise errors.Conflict(f"a dispute resolved as {dispute.outcome.replace('_', ' ')} moves the order to {expected}",
                              field="to")
    refund = dispute.refund_minor
    shares = {}
    if payment is not None and refund:
        if refund > payment.amount_minor - _refunded(payment):
            raise errors.Conflict(f"refund {refund} exceeds what is left of the payment "
                                  f"({payment.amount_minor - _refunded(payment)})", field="refund_minor")
        live = [p for p in payment.payouts if p.state != "cancelled"]
        parts = commission.allocate(refund, [p.gross_minor for p in live])
        for p, part in zip(live, parts):
            shares[p.factory_id] = part
            _reduce(s, payment, p, part)
        new_movement(s, payment, "refund", refund, reason="dispute")
    for outcome in s.scalars(select(DisputeOutcome).where(DisputeOutcome.dispute_id == dispute.id)):
        outcome.outcome, outcome.resolved_at, outcome.refund_minor = dispute.outcome, utcnow(), shares.get(outcome.factory_id, 0)
    if payment is not None and dispute.outcome != "full_refund":
        for p in _live_payouts(payment, "frozen"):
            p.state = "held"  # due again: released right below (or by the move to delivered)
        if to == "closed":
            _release(s, order, payment)
    elif payment is not None:
        for p in _live_payouts(payment, "frozen", "held"):
            if assignments.paid_out(payment, p) > 0:  # the lender was repaid before the dispute froze the rest
                raise errors.Conflict("part of this payout already went to the factory's financing lender, which is "
                                      "final: refund what is left (a partial refund) or settle by hand",
                                      field="outcome")
            p.state = "cancelled"
            assignments.payout_finished(s, p)  # nothing comes to the assignee: recourse on the factory
    dispute.state, dispute.resolved_at = "resolved", utcnow()
    (entry,) = record(s, events.dispute_resolved(dispute, order, str(_operator_public_id(s))))
    dispute.resolved_ledger_index = entry.index


def _reduce(s: Session, payment: Payment, p: Payout, part: int) -> None:
    """Take `part` of a refund out of a payout: its commission shrinks in proportion; a
    payout already paid gives the difference back by a reversal."""
    if part == 0:
        return
    net_before, commission_before = p.net_minor, p.commission_minor
    gross_after = p.gross_minor - part
    p.commission_minor = commission.scaled_commission(p.commission_minor, p.gross_minor, gross_after)
    p.gross_minor = gross_after
    if p.state == "paid":
        if net_before - p.net_minor:
            # the assignee's repayment is final: a later refund is recovered from the factory's transfer
            sent = sum(m.amount_minor for m in payment.movements if m.payout_id == p.id and m.state == "succeeded"
                       and m.kind == "transfer") - sum(m.amount_minor for m in payment.movements
                                                       if m.payout_id == p.id and m.kind == "reversal" and m.state != "failed")
            if net_before - p.net_minor > sent:
                raise errors.Conflict(f"{net_before - p.net_minor} minor units are to be recovered from this payout but "
                                      f"the factory received {sent} (the rest went to its financing lender): the "
                                      "operator settles this by hand", field="refund_minor")
            new_movement(s, payment, "reversal", net_before - p.net_minor, payout=p, reason="dispute")
        if commission_before - p.commission_minor:
            m = new_movement(s, payment, "commission_return", commission_before - p.commission_minor, payout=p,
                             reason="dispute", state="succeeded")
            post_to_ledger(s, s.get(Order, payment.order_id), [m])


def _operator_public_id(s: Session):
    op = s.scalar(select(Organization.public_id).where(Organization.kind == "operator").order_by(Organization.id).limit(1))
    return op or "platform"


# --- disputes: the buyer opens, the operator decides ------------------------------------

def open_dispute(actor: Actor, order_public_id: uuid.UUID, reason: str, qc_data: str = "",
                 evidence: list[str] = ()) -> Dispute:
    from market.orders import services as orders

    if not reason.strip():
        raise errors.refusal(errors.Invalid, _l("Say what is wrong with the delivery."), field="reason",
                             detail="say what is wrong with the delivery")
    orders.transition(actor, order_public_id, "disputed", note=reason.strip()[:2000])
    with unit_of_work() as s:
        order = orders.find_order(s, actor, order_public_id)
        dispute = s.scalar(select(Dispute).where(Dispute.order_id == order.id).order_by(Dispute.id.desc()))
        dispute.qc_data, dispute.evidence = qc_data.strip(), list(evidence)
        s.commit()
        return dispute


def decide_dispute(actor: Actor, order_public_id: uuid.UUID, outcome: str, refund_minor: int | None,
                   note: str = "") -> Dispute:
    """Operator: record the decision, then move the order (which carries it out)."""
    from market.orders import services as orders

    with unit_of_work() as s:
        write_lock(s)
        order = orders.find_order(s, actor, order_public_id, lock=True)
        policy.require_kind(actor, "operator")
        dispute = s.scalar(select(Dispute).where(Dispute.order_id == order.id, Dispute.state.in_(("open", "resolving")))
                           .with_for_update(of=Dispute))
        if dispute is None:
            raise errors.NotFound("this order has no open dispute")
        payment = s.scalar(select(Payment).where(Payment.order_id == order.id))
        left = payment.amount_minor - _refunded(payment) if payment else 0
        if payment is not None and outcome != "released" and payment.state not in ("captured", "partially_refunded"):
            raise errors.Conflict(f"nothing to refund: the payment is {payment.state.replace('_', ' ')}", field="outcome")
        if outcome == "released":
            refund_minor = 0
        elif outcome == "full_refund":
            refund_minor = left
        elif outcome == "partial_refund":
            if payment is None:
                raise errors.Invalid("this order has no payment to refund", field="refund_minor")
            if refund_minor is None or not 0 < refund_minor < left:
                raise errors.refusal(errors.Invalid, _l("A partial refund is more than nothing and less than the %(left)s "
                                                        "the platform holds.", left=money(left, payment.currency)),
                                     field="refund_minor", detail=f"a partial refund is between 1 and {left - 1} minor units")
        else:
            raise errors.Invalid("outcome is released, partial_refund or full_refund", field="outcome")
        dispute.state, dispute.outcome, dispute.refund_minor = "resolving", outcome, refund_minor
        dispute.resolution_note = note.strip()
        s.commit()
    orders.transition(actor, order_public_id, "delivered" if outcome == "released" else "closed",
                      note=history_notes.DISPUTE_RESOLVED(outcome=outcome.replace('_', ' ')))
    with unit_of_work() as s:
        return s.get(Dispute, dispute.id)


# --- auto-confirmation of delivery -------------------------------------------------------

def auto_confirm_deliveries(now=None) -> int:
    """Cron: orders shipped more than DELIVERY_AUTO_CONFIRM_DAYS ago without the buyer's
    confirmation or a dispute are confirmed by the platform (which releases the payouts)."""
    from sqlalchemy import func

    from market.orders import services as orders
    from market.orders.models import OrderEvent

    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["DELIVERY_AUTO_CONFIRM_DAYS"])
    with unit_of_work() as s:
        shipped_at = (select(OrderEvent.order_id, func.max(OrderEvent.at).label("at"))
                      .where(OrderEvent.to_state == "shipped").group_by(OrderEvent.order_id).subquery())
        due = list(s.scalars(select(Order.public_id).join(shipped_at, shipped_at.c.order_id == Order.id)
                             .where(Order.state == "shipped", shipped_at.c.at <= cutoff)))
        operator = s.scalar(select(Organization).where(Organization.kind == "operator").order_by(Organization.id).limit(1))
    if operator is None:
        raise errors.Conflict("auto-confirmation acts as the platform: create the operator organization first")
    system = Actor(org_id=operator.id, org_public_id=operator.public_id, org_kind="operator", org_name=operator.name)
    days = current_app.config["DELIVERY_AUTO_CONFIRM_DAYS"]
    for public_id in due:
        try:
            orders.transition(system, public_id, "delivered", note=history_notes.AUTO_DELIVERED(days=f"{days:g}"))
        except errors.Conflict:  # moved on meanwhile (disputed, confirmed)
            continue
    return len(due)
