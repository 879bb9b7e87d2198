"""Sub-orders are paid out of their parent's escrow (one escrow per tier). The factory that
subcontracts pays its subcontractor out of its own payout on the parent order:

- when the sub-order's quote is accepted, its price is set aside from that payout
  (`Payout.subcontracted_minor`; refused, nothing booked, when the payout cannot cover it);
- the sub-order's escrow is funded — its payment captured, internally — only once the
  parent's escrow holds the buyer's money (its payment captured), at once if it already does,
  else the moment it arrives; down the tree the same way;
- a sub-order's payout is transferred only while the parent's escrow still holds the money;
- a sub-order cancelled (or refunded by a dispute) gives its escrow back to that payout.

The one rule that matters for money: a sub-order is never paid before its parent's escrow
holds the money. It is enforced here, where the payment is made, and nowhere else."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from market import errors
from market.db import utcnow
from market.orders.models import Order, Quote, QuoteLine
from market.payments.models import Movement, Payment, Payout
from market.payments.movements import new_movement, post_to_ledger

HOLDS = ("captured", "partially_refunded")


def is_sub_order(order: Order) -> bool:
    return order.parent_order_id is not None


def parent_payment(s: Session, order: Order) -> Payment | None:
    return s.scalar(select(Payment).where(Payment.order_id == order.parent_order_id).with_for_update(of=Payment))


def parent_holds(s: Session, order: Order) -> bool:
    """The parent's escrow holds the buyer's money (its payment captured, not all refunded)."""
    payment = parent_payment(s, order)
    return payment is not None and payment.state in HOLDS


def check_parent_holds(s: Session, order: Order) -> None:
    if is_sub_order(order) and not parent_holds(s, order):
        raise errors.Conflict("a sub-order is paid only once its parent order's escrow holds the money; "
                              "it does not yet", field="payment")


def paying_payout(s: Session, order: Order) -> Payout | None:
    """The payout on the parent order of the factory whose operations the sub-order makes."""
    factory_id = s.scalar(select(QuoteLine.factory_id).join(Quote, Quote.id == QuoteLine.quote_id).where(
        Quote.order_id == order.parent_order_id, Quote.status == "accepted",
        QuoteLine.seq.in_(order.parent_operation_seqs or ())).limit(1))
    return s.scalar(select(Payout).where(Payout.order_id == order.parent_order_id, Payout.factory_id == factory_id)
                    .with_for_update(of=Payout))


def reserve(s: Session, order: Order, amount: int) -> None:
    """At the sub-order's acceptance: set its price aside from the paying factory's payout."""
    payout = paying_payout(s, order)
    if payout is None or payout.state != "held":
        state = payout.state if payout else "missing"
        raise errors.Conflict(f"a sub-order is paid out of your payout on the parent order, which is {state}",
                              field="quote")
    if amount > payout.net_minor:
        raise errors.Conflict(f"this quote costs {amount} minor units; what is left of your payout on the parent "
                              f"order is {payout.net_minor}", field="quote")
    payout.subcontracted_minor += amount


def fund(s: Session, payment: Payment) -> bool:
    """Fund a sub-order's escrow from its parent's, if the parent's holds the money; then its
    own sub-orders in turn. Returns whether it is funded."""
    order = s.get(Order, payment.order_id)
    if payment.state in HOLDS:
        return True
    if payment.state != "requires_payment" or not parent_holds(s, order):
        return False
    source = parent_payment(s, order)
    capture = new_movement(s, payment, "capture", payment.amount_minor, state="succeeded",
                           external_id=f"escrow:{source.reference}", reason="funded from the parent order's escrow")
    payment.state, payment.captured_at = "captured", utcnow()
    post_to_ledger(s, order, [capture])
    fund_sub_orders(s, order)
    return True


def fund_sub_orders(s: Session, order: Order) -> None:
    """The order's escrow now holds the money: fund its sub-orders waiting for it."""
    waiting = s.scalars(select(Payment).join(Order, Order.id == Payment.order_id).where(
        Order.parent_order_id == order.id, Payment.state == "requires_payment").order_by(Payment.id)
        .with_for_update(of=Payment))
    for payment in list(waiting):
        fund(s, payment)


def give_back(s: Session, order: Order, payment: Payment, amount: int, reason: str) -> Movement | None:
    """`amount` of the sub-order's escrow goes back to the payout it was set aside from (a
    cancellation, a refund decided in a dispute). Internal: no provider call. If the parent
    is being cancelled too (its payouts cancelled), the buyer above gets it back instead."""
    payout = paying_payout(s, order)
    if payout is None:
        return None
    if payout.state in ("releasing", "paid"):
        raise errors.Conflict("the payout this sub-order was paid from has been released already; "
                              "the operator settles this by hand", field="to")
    payout.subcontracted_minor = max(0, payout.subcontracted_minor - amount)
    refund = None
    if payment.state in HOLDS and amount:
        refund = new_movement(s, payment, "refund", amount, state="succeeded", reason=reason,
                              external_id=f"escrow:{payment.reference}")
        post_to_ledger(s, order, [refund])
        given = sum(m.amount_minor for m in payment.movements if m.kind == "refund" and m.state == "succeeded")
        payment.state = "refunded" if given >= payment.amount_minor else "partially_refunded"
        if payout.state == "cancelled":  # the parent is cancelled: the money returns to its buyer
            source = parent_payment(s, order)
            if source is not None and source.state in HOLDS:
                new_movement(s, source, "refund", amount, reason="sub-order cancelled with its parent")
    return refund
