"""Reads of payments: what each party may see of an order's money, the factory's revenue
and dispute record (read by scorecards and credit reports), the operator's revenue, and
the money invariant. Functions taking a `session` are for other domains' services."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market import errors, policy
from market.auth import Actor
from market.catalog.models import Factory
from market.db import unit_of_work
from market.orders.models import Order
from market.pagination import Order as Keys
from market.pagination import Page, paginate
from market.payments.models import Dispute, DisputeOutcome, Movement, Payment, PaymentAccount, Payout


# --- for other domains (credit reports, scorecards) ------------------------------------------

@dataclass(frozen=True)
class Revenue:
    order_id: uuid.UUID  # the order's public id
    paid_at: datetime
    amount_minor: int  # a transfer (positive) or a reversal of one (negative)
    currency: str
    ledger_index: int | None  # the entry committing to this amount (payload: events.movement_payload)


@dataclass(frozen=True)
class DisputeRecord:
    dispute_id: uuid.UUID
    order_id: uuid.UUID
    opened_at: datetime
    resolved_at: datetime | None
    outcome: str | None  # None while open; released | partial_refund | full_refund
    refund_minor: int  # this factory's share of the refund
    currency: str
    opened_ledger_index: int | None
    resolved_ledger_index: int | None


def factory_revenue(session: Session, factory_id: int, start: datetime, end: datetime) -> list[Revenue]:
    """Money paid out to factory `factory_id` (internal id) in [start, end): transfers and,
    negative, reversals; each with the ledger index of its commitment."""
    rows = session.execute(
        select(Order.public_id, Movement.done_at, Movement.kind, Movement.amount_minor, Movement.currency,
               Movement.ledger_index)
        .join(Order, Order.id == Movement.order_id)
        .where(Movement.factory_id == factory_id, Movement.kind.in_(("transfer", "reversal")),
               Movement.state == "succeeded", Movement.done_at >= start, Movement.done_at < end)
        .order_by(Movement.done_at, Movement.id))
    return [Revenue(oid, at, amount if kind == "transfer" else -amount, cur, idx) for oid, at, kind, amount, cur, idx in rows]


def factory_disputes(session: Session, factory_id: int, start: datetime, end: datetime) -> list[DisputeRecord]:
    """Disputes on orders factory `factory_id` worked on, opened in [start, end)."""
    rows = session.execute(
        select(Dispute.public_id, Order.public_id, DisputeOutcome.opened_at, DisputeOutcome.resolved_at,
               DisputeOutcome.outcome, DisputeOutcome.refund_minor, DisputeOutcome.currency,
               Dispute.opened_ledger_index, Dispute.resolved_ledger_index)
        .join(Dispute, Dispute.id == DisputeOutcome.dispute_id).join(Order, Order.id == DisputeOutcome.order_id)
        .where(DisputeOutcome.factory_id == factory_id, DisputeOutcome.opened_at >= start, DisputeOutcome.opened_at < end)
        .order_by(DisputeOutcome.opened_at, DisputeOutcome.id))
    return [DisputeRecord(*row) for row in rows]


# --- the money invariant ---------------------------------------------------------------------

@dataclass(frozen=True)
class Balance:
    captured: int
    transferred: int
    reversed: int
    commission: int
    refunded: int
    commission_owed: int  # Σ payout commission as the payouts stand
    pending: int  # movements still pending (money not moved yet)
    assignee_paid: int = 0  # paid to the lenders of assigned payouts (receivables financing)
    in_escrow_owed: int = 0  # what the records say the escrow still owes (unpaid payouts, pending refunds)

    @property
    def out(self) -> int:
        return self.transferred - self.reversed + self.assignee_paid + self.commission + self.refunded

    @property
    def holds(self) -> bool:
        """captured = payouts (net of reversals) + lender repayments + commission + refunds,
        to the minor unit, and the commission kept is exactly what the payouts say."""
        return self.captured == self.out and self.commission == self.commission_owed

    @property
    def accounted(self) -> bool:
        """At any step, not only once settled: what the escrow holds (captured − out) is what
        the payouts and pending refunds say it still owes; before the capture nothing left."""
        if self.captured == 0:
            return self.out == 0
        return self.captured - self.out == self.in_escrow_owed


def order_balance(session: Session, order_id: int) -> Balance:
    sums = dict(session.execute(select(Movement.kind, func.coalesce(func.sum(Movement.amount_minor), 0))
                                .where(Movement.order_id == order_id, Movement.state == "succeeded")
                                .group_by(Movement.kind)).all())
    owed = session.scalar(select(func.coalesce(func.sum(Payout.commission_minor), 0)).where(
        Payout.order_id == order_id, Payout.state == "paid")) or 0
    pending = session.scalar(select(func.count()).where(Movement.order_id == order_id, Movement.state == "pending")) or 0
    return Balance(sums.get("capture", 0), sums.get("transfer", 0), sums.get("reversal", 0),
                   sums.get("commission", 0) - sums.get("commission_return", 0), sums.get("refund", 0), owed, pending,
                   sums.get("assignee_payment", 0), _escrow_owed(session, order_id))


def _escrow_owed(session: Session, order_id: int) -> int:
    """Per payout not cancelled: its gross minus what left for it (transfers and lender
    repayments net of reversals, commission kept); plus refunds decided but not sent."""
    done = {}
    for payout_id, kind, amount in session.execute(
            select(Movement.payout_id, Movement.kind, func.sum(Movement.amount_minor))
            .where(Movement.order_id == order_id, Movement.state == "succeeded", Movement.payout_id.is_not(None))
            .group_by(Movement.payout_id, Movement.kind)):
        sign = -1 if kind in ("reversal", "commission_return") else 1
        if kind in ("transfer", "assignee_payment", "reversal", "commission", "commission_return"):
            done[payout_id] = done.get(payout_id, 0) + sign * int(amount)
    owed = sum(gross - done.get(pid, 0) for pid, gross in session.execute(
        select(Payout.id, Payout.gross_minor).where(Payout.order_id == order_id, Payout.state != "cancelled")))
    # a cancelled payout's money is refunded; cancelled after something went out, that stays out
    owed += sum(-done.get(pid, 0) for (pid,) in session.execute(
        select(Payout.id).where(Payout.order_id == order_id, Payout.state == "cancelled")))
    refunds = session.scalar(select(func.coalesce(func.sum(Movement.amount_minor), 0)).where(
        Movement.order_id == order_id, Movement.kind == "refund", Movement.state == "pending")) or 0
    return owed + int(refunds)


# --- what a party sees of an order's payment -----------------------------------------------

def _visible_payment(s: Session, actor: Actor, order_public_id: uuid.UUID) -> tuple[Order, Payment]:
    from market.orders.services import find_order

    order = find_order(s, actor, order_public_id)
    payment = s.scalar(select(Payment).where(Payment.order_id == order.id))
    if payment is None:
        raise errors.NotFound("this order has no payment (it is paid when a quote is accepted)")
    if not (actor.is_operator or policy.is_order_buyer(actor, order)
            or any(p.factory_org_id == actor.org_id for p in payment.payouts)):
        raise errors.NotFound("this order has no payment")
    return order, payment


def payment_view(actor: Actor, order_public_id: uuid.UUID) -> dict:
    with unit_of_work() as s:
        order, payment = _visible_payment(s, actor, order_public_id)
        buyer_side = actor.is_operator or policy.is_order_buyer(actor, order)
        payouts = [p for p in payment.payouts if actor.is_operator or p.factory_org_id == actor.org_id]
        mine = {p.id for p in payouts}
        movements = [m for m in payment.movements if actor.is_operator
                     or (buyer_side and m.kind in ("intent", "capture", "refund"))
                     or (m.payout_id in mine and m.kind in ("transfer", "commission", "commission_return", "reversal",
                                                                "assignee_payment", "disbursement"))]
        cfg = current_app.config
        return {
            "id": payment.public_id, "order_id": order.public_id, "order_title": order.title, "order_state": order.state,
            "provider": payment.provider, "state": payment.state, "amount_minor": payment.amount_minor,
            "currency": payment.currency, "reference": payment.reference, "captured_at": payment.captured_at,
            "refunded_minor": sum(m.amount_minor for m in payment.movements if m.kind == "refund" and m.state == "succeeded"),
            "client_secret": payment.client_secret if policy.is_order_buyer(actor, order) else None,
            "publishable_key": cfg["STRIPE_PUBLISHABLE_KEY"] if payment.provider == "stripe" and buyer_side else None,
            # a sub-order is funded from its parent's escrow: nobody is asked to transfer money for it
            "bank_details": cfg["PLATFORM_BANK_DETAILS"] if payment.provider == "offline" and buyer_side
            and order.parent_order_id is None else None,
            "production_waits_for_payment": bool(cfg["PAYMENT_BEFORE_PRODUCTION"]),
            "payouts": [{"factory_id": p.factory.public_id, "factory": p.factory.name, "state": p.state, "tier": p.tier,
                         "gross_minor": p.gross_minor, "commission_minor": p.commission_minor, "net_minor": p.net_minor,
                         "subcontracted_minor": p.subcontracted_minor,
                         "breakdown": p.breakdown, "paid_at": p.paid_at} for p in payouts],
            "movements": [{"id": m.public_id, "kind": m.kind, "state": m.state, "amount_minor": m.amount_minor,
                           "currency": m.currency, "factory_id": _factory_public(s, m.factory_id), "reason": m.reason,
                           "error": m.error if actor.is_operator else "", "external_id": m.external_id if actor.is_operator else None,
                           "created_at": m.created_at, "done_at": m.done_at, "ledger_index": m.ledger_index}
                          for m in movements],
        }


def _factory_public(s: Session, factory_id: int | None):
    return s.scalar(select(Factory.public_id).where(Factory.id == factory_id)) if factory_id else None


def document_context(actor: Actor, order_public_id: uuid.UUID, factory_public_id: uuid.UUID | None = None) -> dict:
    """Everything an invoice (buyer) or payout statement (one factory) shows."""
    from market.orders.models import Quote

    with unit_of_work() as s:
        order, payment = _visible_payment(s, actor, order_public_id)
        quote = s.get(Quote, payment.quote_id)
        ctx = {"order": order, "payment": payment, "quote": quote, "lines": list(quote.lines), "buyer": order.buyer,
               "movements": list(payment.movements), "platform": current_app.config["PLATFORM_LEGAL_NAME"]}
        if factory_public_id is None:
            if not (actor.is_operator or policy.is_order_buyer(actor, order)):
                raise errors.NotFound("no invoice for you on this order")
            return ctx
        payout = next((p for p in payment.payouts if str(p.factory.public_id) == str(factory_public_id)
                       and (actor.is_operator or p.factory_org_id == actor.org_id)), None)
        if payout is None:
            raise errors.NotFound("no payout of this order to that factory")
        ctx.update(payout=payout, factory=payout.factory,
                   lines=[ln for ln in quote.lines if ln.factory_id == payout.factory_id],
                   movements=[m for m in payment.movements if m.payout_id == payout.id])
        return ctx


NEWEST_PAYOUT_FIRST = Keys.of(Payout.id.desc())
PAYOUTS_BY_CHANGE = Keys.of(Payout.updated_at, Payout.id)


def list_payouts(actor: Actor, *, updated_since: datetime | None = None, page: int = 1, per_page: int = 20,
                 cursor: str | None = None) -> Page[Payout]:
    """A factory's payouts, newest first; with `updated_since`, those changed since then (held,
    released, paid, frozen...) by (updated_at, id)."""
    policy.require_kind(actor, "factory")
    with unit_of_work() as s:
        stmt = select(Payout).where(policy.own_rows(actor, Payout.factory_org_id))
        if updated_since is not None:
            stmt = stmt.where(Payout.updated_at >= updated_since)
        result = paginate(s, stmt, page, per_page, cursor=cursor,
                          order=PAYOUTS_BY_CHANGE if updated_since is not None else NEWEST_PAYOUT_FIRST)
        public_ids = dict(s.execute(select(Order.id, Order.public_id)
                                    .where(Order.id.in_({p.order_id for p in result.items}))).all())
        for p in result.items:
            p.order_public_id = public_ids[p.order_id]
        return result


def factory_balance(actor: Actor) -> dict:
    """Per currency: held (not yet due), frozen (disputed), on its way, paid."""
    policy.require_kind(actor, "factory")
    with unit_of_work() as s:
        rows = s.execute(select(Payment.currency, Payout.state, func.sum(Payout.gross_minor - Payout.commission_minor))
                         .join(Payment, Payment.id == Payout.payment_id)
                         .where(policy.own_rows(actor, Payout.factory_org_id)).group_by(Payment.currency, Payout.state))
        out: dict[str, dict[str, int]] = {}
        for currency, state, amount in rows:
            out.setdefault(currency, {"held": 0, "frozen": 0, "releasing": 0, "paid": 0, "cancelled": 0})[state] = int(amount or 0)
        account = s.scalar(select(PaymentAccount).where(PaymentAccount.organization_id == actor.org_id))
        return {"balances": out, "account": account}


def revenue(actor: Actor) -> dict:
    """Operator: per currency, captured, refunded, paid out and the commission kept; and the
    work waiting for someone (offline confirmations, failed transfers, open disputes)."""
    policy.require_kind(actor, "operator")
    with unit_of_work() as s:
        sums = s.execute(select(Movement.currency, Movement.kind, func.sum(Movement.amount_minor), func.count())
                         .where(Movement.state == "succeeded").group_by(Movement.currency, Movement.kind))
        per: dict[str, dict[str, int]] = {}
        for currency, kind, amount, n in sums:
            per.setdefault(currency, {})[kind] = int(amount or 0)
        for figures in per.values():
            figures["commission_net"] = figures.get("commission", 0) - figures.get("commission_return", 0)
        waiting = list(s.execute(
            select(Movement, Order.public_id, Order.title).join(Order, Order.id == Movement.order_id)
            .where(Movement.state.in_(("pending", "failed")),
                   Movement.kind.in_(("transfer", "refund", "reversal", "disbursement", "assignee_payment")))
            .order_by(Movement.id)).all())
        unpaid = list(s.execute(select(Payment, Order.public_id, Order.title).join(Order, Order.id == Payment.order_id)
                                .where(Payment.state.in_(("requires_payment", "processing")), Order.state != "cancelled")
                                .order_by(Payment.id)).all())
        disputes = list(s.execute(select(Dispute, Order.public_id, Order.title).join(Order, Order.id == Dispute.order_id)
                                  .where(Dispute.state != "resolved").order_by(Dispute.id)).all())
        return {"per_currency": per, "waiting": waiting, "unpaid": unpaid, "disputes": disputes}


def disputes_of(actor: Actor, order_public_id: uuid.UUID) -> list[Dispute]:
    from market.orders.services import find_order

    with unit_of_work() as s:
        order = find_order(s, actor, order_public_id)
        return list(s.scalars(select(Dispute).where(Dispute.order_id == order.id).order_by(Dispute.id)))


def captured_orders(session: Session, order_ids: list[int]) -> dict[int, int | None]:
    """Of orders `order_ids` (internal ids), those whose buyer's payment was captured and is
    not refunded in full or cancelled: order id -> ledger index of the capture's
    `payment.captured` entry (for credit reports: only paid sales are verified revenue)."""
    if not order_ids:
        return {}
    rows = session.execute(
        select(Payment.order_id, Movement.ledger_index).join(Movement, Movement.payment_id == Payment.id)
        .where(Payment.order_id.in_(order_ids), Payment.state.in_(("captured", "partially_refunded")),
               Movement.kind == "capture", Movement.state == "succeeded")
        .order_by(Movement.id))
    return {order_id: index for order_id, index in rows}
