"""Carrying out pending movements at the provider, safely under concurrency and failure.

For each movement: claim it (row lock, then `claimed_at`, committed), call the provider
with the movement's idempotency key, then finish it under the lock again. Two workers
cannot claim one movement; a worker that died mid-call leaves a claim that lapses after
PAYMENT_CLAIM_LEASE_S and the retry reuses the same key, so the provider answers with
the object it already made. A webhook may finish the movement first: the worker then
sees it done and changes nothing."""
from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from flask_babel import lazy_gettext as _l

from market import bus, errors, policy
from market.auth import Actor
from market.db import unit_of_work, utcnow, write_lock
from market.orders.models import Order
from market.payments.domain_events import PaymentReceived, PayoutSent, RefundIssued
from market.payments.models import Movement, Payment, PaymentAccount, Payout, PayoutAssignment
from market.payments.providers import ProviderUnavailable, get_provider
from market.payments.movements import after_commit, new_movement, post_to_ledger
from market.payments import assignments, sub_escrow
from market.payments.states import PAYMENT_RANK, moves_forward

log = logging.getLogger("market.payments")

EXECUTED = ("transfer", "refund", "reversal", "disbursement", "assignee_payment")
PAID = ("captured", "partially_refunded")


def transfer_group(order: Order) -> str:
    return f"order-{order.public_id}"


# --- finishing a movement (the one place its effects are applied) --------------------------

def finish(s: Session, m: Movement, external_id: str | None = None) -> None:
    """Mark a pending movement succeeded and apply what follows from it. Caller holds the lock."""
    if m.state != "pending":
        return
    m.state, m.done_at, m.error, m.claimed_at = "succeeded", utcnow(), "", None
    if external_id and not m.external_id:
        m.external_id = external_id
    payment = s.scalar(select(Payment).where(Payment.id == m.payment_id).with_for_update(of=Payment))
    order = s.get(Order, m.order_id)
    done = [m]
    if m.kind in assignments.OUT:
        payout = s.get(Payout, m.payout_id)
        if m.kind == "assignee_payment":
            assignments.assignee_paid(s, m)
        else:
            bus.publish(s, PayoutSent(order.id, payout.id, payout.factory_org_id, m.amount_minor, m.currency))
        if assignments.paid_out(payment, payout) >= payout.net_minor and not any(
                x.payout_id == payout.id and x.kind in assignments.OUT and x.state == "pending" for x in payment.movements):
            done.extend(complete_payout(s, payment, payout))
    elif m.kind == "disbursement":
        assignments.disbursed(s, m)
    elif m.kind == "refund":
        refunded = sum(x.amount_minor for x in payment.movements if x.kind == "refund" and x.state == "succeeded")
        target = "refunded" if refunded >= payment.amount_minor else "partially_refunded"
        if payment.state in PAID and moves_forward(PAYMENT_RANK, payment.state, target):
            payment.state = target
        bus.publish(s, RefundIssued(order.id, payment.id, m.amount_minor, m.currency))
    post_to_ledger(s, order, done)


def complete_payout(s: Session, payment: Payment, payout: Payout) -> list[Movement]:
    """Everything due on `payout` has left the escrow: it is paid, its commission is kept,
    and an assignment it did not repay in full becomes recourse on the factory."""
    payout.state, payout.paid_at = "paid", utcnow()
    assignments.payout_finished(s, payout)
    if payout.commission_minor:
        return [new_movement(s, payment, "commission", payout.commission_minor, payout=payout, state="succeeded")]
    return []


def fail(m: Movement, error: str) -> None:
    if m.state == "pending":
        m.state, m.done_at, m.error, m.claimed_at = "failed", utcnow(), error[:500], None


def record_capture(s: Session, payment: Payment, amount: int, external_id: str | None) -> str:
    """The buyer's money arrived (webhook, page sync or the operator's confirmation):
    exactly once per payment. Money that arrives for a cancelled order goes straight back."""
    if any(m.kind == "capture" and m.state == "succeeded" for m in payment.movements):
        return "already captured"
    if amount != payment.amount_minor:
        log.error("payment %s: %s received, %s expected", payment.public_id, amount, payment.amount_minor)
        raise errors.Conflict(f"{amount} received but {payment.amount_minor} is due; check the payment by hand")
    order = s.get(Order, payment.order_id)
    if sub_escrow.is_sub_order(order):
        raise errors.Conflict("a sub-order is paid from its parent order's escrow, not by the factory that placed it",
                              field="payment")
    capture = new_movement(s, payment, "capture", amount, state="succeeded", external_id=external_id)
    cancelled = payment.state == "cancelled"
    if not cancelled:
        payment.state = "captured"
    payment.captured_at = utcnow()
    post_to_ledger(s, order, [capture])
    if cancelled:  # paid after the order was cancelled: give it back
        payment.state = "captured"
        new_movement(s, payment, "refund", amount, reason="paid after cancellation")
    else:  # the escrow holds the money now: the sub-orders paid from it are funded
        sub_escrow.fund_sub_orders(s, order)
        bus.publish(s, PaymentReceived(order.id, payment.id, amount, payment.currency))
    after_commit(s, lambda: run_pending(order.id))
    return "captured"


# --- executing pending movements -------------------------------------------------------

def run_pending(order_id: int) -> dict:
    """Everything the provider still has to do for one order; returns how each movement ended."""
    with unit_of_work() as s:
        payment = s.scalar(select(Payment).where(Payment.order_id == order_id))
        if payment is None:
            return {}
        needs_intent = payment.provider != "offline" and payment.state == "requires_payment" and not payment.external_id
        # a sub-order is funded from its parent's escrow: nobody pays it by card
        needs_intent = needs_intent and not sub_escrow.is_sub_order(s.get(Order, order_id))
        pending = [m.id for m in payment.movements if m.kind in EXECUTED and m.state == "pending"]
        payment_id = payment.id
    out = {}
    if needs_intent:
        out["intent"] = start_intent(payment_id)
    for mid in pending:
        out[mid] = execute(mid)
    return out


def start_intent(payment_id: int) -> str:
    """Create the provider's payment object (a PaymentIntent) for a payment that has none."""
    with unit_of_work() as s:
        payment = s.get(Payment, payment_id)
        if payment.external_id or payment.state != "requires_payment":
            return "exists"
        intent = next(m for m in payment.movements if m.kind == "intent")
        intent.attempt = payment.attempt  # a fresh intent after a cancelled one gets a fresh key
        order = s.get(Order, payment.order_id)
        group = transfer_group(order)
    try:
        result = get_provider(payment.provider).start_payment(payment, intent, transfer_group=group)
    except ProviderUnavailable as exc:
        log.warning("payment %s: provider unavailable: %s", payment.public_id, exc)
        return "unavailable"
    with unit_of_work() as s:
        write_lock(s)
        payment = s.scalar(select(Payment).where(Payment.id == payment_id).with_for_update(of=Payment))
        if result.external_id and not payment.external_id:
            payment.external_id, payment.client_secret = result.external_id, result.client_secret
        s.commit()
    return result.status


def execute(movement_id: int) -> str:
    lease = timedelta(seconds=current_app.config["PAYMENT_CLAIM_LEASE_S"])
    with unit_of_work() as s:
        write_lock(s)
        m = s.scalar(select(Movement).where(Movement.id == movement_id).with_for_update(of=Movement))
        if m.state != "pending" or m.kind not in EXECUTED:
            return m.state
        now = utcnow()
        if m.claimed_at is not None and m.claimed_at > now - lease:
            return "claimed"
        payment = s.get(Payment, m.payment_id)
        # an advance is the lender's money, not the escrow's: it does not wait for the buyer
        if m.kind != "disbursement" and payment.state not in PAID and payment.state != "refunded":
            return "waiting for the buyer's payment"
        order = s.get(Order, m.order_id)
        if sub_escrow.is_sub_order(order):
            if m.kind == "refund":  # back into the escrow it came from: no provider involved
                _refund_into_parent(s, order, payment, m)
                s.commit()
                return m.state
            if not sub_escrow.parent_holds(s, order):
                return "waiting for the parent order's escrow"
        call = _prepare(s, m, payment)
        m.claimed_at = now
        s.commit()
    try:
        result = call(get_provider(m.provider))
    except ProviderUnavailable as exc:
        result, unavailable = None, str(exc)
    with unit_of_work() as s:
        write_lock(s)
        m = s.scalar(select(Movement).where(Movement.id == movement_id).with_for_update(of=Movement))
        if m.state != "pending":  # a webhook finished it while we were calling
            return m.state
        m.claimed_at = None
        if result is None:
            m.error = f"provider unavailable, will retry: {unavailable}"[:500]
        else:
            if result.external_id and not m.external_id:
                m.external_id = result.external_id
            if result.status == "succeeded":
                finish(s, m)
            elif result.status == "failed":
                fail(m, result.error)
            else:
                m.error = result.error
        s.commit()
        return m.state


def _refund_into_parent(s: Session, order: Order, payment: Payment, m: Movement) -> None:
    """A refund decided on a sub-order (a dispute) returns to the payout it was paid from."""
    payout = sub_escrow.paying_payout(s, order)
    if payout is None or payout.state not in ("held", "frozen"):
        m.error = "the payout this sub-order was paid from is released already: the operator settles it by hand"
        return
    payout.subcontracted_minor = max(0, payout.subcontracted_minor - m.amount_minor)
    finish(s, m, external_id=f"escrow:{payment.reference}")


def _prepare(s: Session, m: Movement, payment: Payment):
    """The provider call for `m`, with everything it needs read now (under the lock)."""
    order = s.get(Order, m.order_id)
    snapshot = _Snapshot(m)
    if m.kind in ("transfer", "assignee_payment", "disbursement"):
        payout = s.get(Payout, m.payout_id)
        payee = payout.factory_org_id
        if m.kind == "assignee_payment":  # the lender is paid first, from the same charge
            payee = s.scalar(select(PayoutAssignment.assignee_org_id).where(
                PayoutAssignment.payout_id == payout.id, PayoutAssignment.state.in_(assignments.IN_FORCE)))
        account = s.scalar(select(PaymentAccount).where(PaymentAccount.organization_id == payee,
                                                        PaymentAccount.provider == m.provider))
        destination = account.external_id if account and account.transfers_status == "active" else None
        charge = next((x.external_id for x in payment.movements if x.kind == "capture" and x.state == "succeeded"), None)
        group = transfer_group(order)
        # an advance is funded by the lender through the platform's balance, not by the buyer's charge
        source = charge if charge and charge.startswith("ch_") and m.kind != "disbursement" else None
        return lambda p: p.transfer(snapshot, destination=destination, transfer_group=group, source=source)
    if m.kind == "refund":
        pay = _Snapshot(payment)
        return lambda p: p.refund(snapshot, payment=pay)
    transfer = next(x.external_id for x in payment.movements
                    if x.kind == "transfer" and x.payout_id == m.payout_id and x.state == "succeeded")
    return lambda p: p.reverse(snapshot, transfer_id=transfer)


class _Snapshot:
    """A plain copy of a row's columns, safe to use after its session closed."""

    def __init__(self, row):
        for col in row.__table__.columns:
            setattr(self, col.key, getattr(row, col.key))
        if isinstance(row, Movement):
            self.idempotency_key = row.idempotency_key


def retry_all() -> dict:
    """Cron (`market payments retry`): every order with provider work left."""
    with unit_of_work() as s:
        orders = set(s.scalars(select(Movement.order_id).where(Movement.state == "pending",
                                                               Movement.kind.in_(EXECUTED))))
        orders |= set(s.scalars(select(Payment.order_id).where(Payment.state == "requires_payment",
                                                               Payment.provider != "offline",
                                                               Payment.external_id.is_(None))))
    return {order_id: run_pending(order_id) for order_id in sorted(orders)}


# --- the buyer's payment: sync (Stripe) and confirmation (offline) -------------------------

def sync_payment(actor: Actor, order_public_id: uuid.UUID) -> Payment:
    """Ask the provider where the buyer's payment stands (the page after Stripe's form)."""
    from market.orders.services import find_order

    with unit_of_work() as s:
        order = find_order(s, actor, order_public_id)
        payment = s.scalar(select(Payment).where(Payment.order_id == order.id))
        if payment is None:
            raise errors.NotFound("this order has no payment")
        payment_id, provider, external_id = payment.id, payment.provider, payment.external_id
    if provider == "offline" or not external_id:
        return payment
    try:
        result = get_provider(provider).payment_status(payment)
    except ProviderUnavailable:
        return payment
    with unit_of_work() as s:
        write_lock(s)
        payment = s.scalar(select(Payment).where(Payment.id == payment_id).with_for_update(of=Payment))
        if result.status == "succeeded":
            record_capture(s, payment, result.details["amount_received"], result.details.get("charge"))
        elif result.details.get("status") == "processing" and moves_forward(PAYMENT_RANK, payment.state, "processing"):
            payment.state = "processing"
        s.commit()
        return payment


def confirm_receipt(actor: Actor, order_public_id: uuid.UUID, bank_reference: str) -> Payment:
    """Operator, offline: the buyer's bank transfer has arrived."""
    from market.orders.services import find_order

    with unit_of_work() as s:
        write_lock(s)
        order = find_order(s, actor, order_public_id, lock=True)  # another tenant's order: 404, not 403
        policy.require_kind(actor, "operator")
        payment = _offline_payment(s, order)
        if payment.state not in ("requires_payment", "processing", "cancelled"):
            raise errors.Conflict(f"the payment is already {payment.state.replace('_', ' ')}")
        record_capture(s, payment, payment.amount_minor, bank_reference.strip()[:64] or None)
        s.commit()
        return payment


def confirm_movement(actor: Actor, order_public_id: uuid.UUID, movement_public_id: uuid.UUID,
                     bank_reference: str) -> Movement:
    """Operator, offline: a payout, refund or reversal was sent by bank transfer."""
    from market.orders.services import find_order

    with unit_of_work() as s:
        write_lock(s)
        order = find_order(s, actor, order_public_id, lock=True)  # another tenant's order: 404, not 403
        policy.require_kind(actor, "operator")
        payment = _offline_payment(s, order)
        m = s.scalar(select(Movement).where(Movement.public_id == movement_public_id, Movement.payment_id == payment.id)
                     .with_for_update(of=Movement))
        if m is None or m.kind not in EXECUTED:
            raise errors.refusal(errors.Invalid, _l("This is not a payout, refund, reversal or advance of this order."),
                                 field="movement_id", detail=f"movement {movement_public_id} is not a payout, refund, "
                                                             "reversal or advance of this order")
        if m.state != "pending":
            raise errors.Conflict(f"this {m.kind} is already {m.state}")
        if m.kind != "disbursement" and payment.state not in PAID and payment.state != "refunded":
            raise errors.Conflict("confirm the buyer's payment first")
        if m.kind == "transfer":
            sub_escrow.check_parent_holds(s, order)
        finish(s, m, external_id=bank_reference.strip()[:64] or None)
        s.commit()
        return m


def _offline_payment(s: Session, order: Order) -> Payment:
    payment = s.scalar(select(Payment).where(Payment.order_id == order.id).with_for_update(of=Payment))
    if payment is None:
        raise errors.NotFound("this order has no payment")
    if payment.provider != "offline":
        raise errors.Conflict(f"this payment runs through {payment.provider}: it is confirmed by the provider, not by hand")
    return payment


def retry_transfer(actor: Actor, order_public_id: uuid.UUID, factory_public_id: uuid.UUID) -> Movement:
    """Operator: a transfer failed for good (e.g. the account was restricted): try again as a new attempt."""
    from market.catalog.models import Factory
    from market.orders.services import find_order

    with unit_of_work() as s:
        write_lock(s)
        order = find_order(s, actor, order_public_id, lock=True)
        policy.require_kind(actor, "operator")
        payout = s.scalar(select(Payout).join(Factory, Factory.id == Payout.factory_id).where(
            Payout.order_id == order.id, Factory.public_id == factory_public_id).with_for_update(of=Payout))
        if payout is None:
            raise errors.NotFound("no payout of this order to that factory")
        payment = s.get(Payment, payout.payment_id)
        tries = [m for m in payment.movements if m.kind == "transfer" and m.payout_id == payout.id]
        if payout.state != "releasing" or any(m.state != "failed" for m in tries):
            raise errors.Conflict("only a released payout whose transfer failed can be retried")
        m = new_movement(s, payment, "transfer", payout.net_minor, payout=payout,
                         attempt=max(t.attempt for t in tries) + 1)
        after_commit(s, lambda: run_pending(order.id))
        s.commit()
        return m


def pending_for_org(s: Session, organization_id: int) -> list[int]:
    """Orders with transfers waiting for this organization's account (it just became active):
    a factory's payouts and advances, a lender's repayments from payouts assigned to it."""
    mine = set(s.scalars(select(Movement.order_id).join(Payout, Payout.id == Movement.payout_id).where(
        Movement.kind.in_(("transfer", "disbursement")), Movement.state == "pending",
        Payout.factory_org_id == organization_id)))
    mine |= set(s.scalars(select(Movement.order_id).join(
        PayoutAssignment, PayoutAssignment.payout_id == Movement.payout_id).where(
        Movement.kind == "assignee_payment", Movement.state == "pending",
        PayoutAssignment.assignee_org_id == organization_id, PayoutAssignment.state.in_(assignments.IN_FORCE))))
    return sorted(mine)


def cancel_intent(payment_id: int) -> str:
    """The order was cancelled before the buyer paid: cancel the provider's payment object.
    If the buyer paid in the meantime, cancelling fails and the payment webhook refunds it."""
    with unit_of_work() as s:
        payment = s.get(Payment, payment_id)
    if payment.provider == "offline" or not payment.external_id:
        return "nothing to cancel"
    try:
        result = get_provider(payment.provider).cancel_payment(payment)
    except ProviderUnavailable:
        return "unavailable"
    if result.status == "failed":
        sync = get_provider(payment.provider).payment_status(payment)
        if sync.status == "succeeded":
            with unit_of_work() as s:
                write_lock(s)
                payment = s.scalar(select(Payment).where(Payment.id == payment_id).with_for_update(of=Payment))
                record_capture(s, payment, sync.details["amount_received"], sync.details.get("charge"))
                s.commit()
    return result.status
