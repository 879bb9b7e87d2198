"""Listeners to payments (market/payments/domain_events.py): the buyer is asked to pay, told it
arrived, went back or is late, and that a delivery will soon be confirmed for it; a factory is
told its payout left. Amounts go only to whom they belong: the buyer's own payment, the
factory's own payout; factories never see the order's total."""
from __future__ import annotations

from market.db import unit_of_work
from market.i18n import money
from market.notifications import recipients as who
from market.notifications.telling import order_link, save, tell, when
from market.orders.models import Order
from market.payments.domain_events import (AutoConfirmComing, PaymentOverdue, PaymentReceived, PaymentRequested,
                                           PayoutSent, RefundIssued)
from market.payments.models import Payment


def on_payment_requested(event: PaymentRequested) -> None:
    with unit_of_work() as s:
        order = s.get(Order, event.order_id)
        params = {"order": order.title, "amount": money(event.amount_minor, event.currency),
                  "reference": event.reference}
        save(s, tell(who.members(s, [order.buyer_org_id]), "payment.requested", params), order_link(order))


def on_payment_received(event: PaymentReceived) -> None:
    with unit_of_work() as s:
        order = s.get(Order, event.order_id)
        orgs = [order.buyer_org_id, *who.booked_orgs(s, order.id)]
        save(s, tell(who.members(s, orgs), "payment.received", {"order": order.title}), order_link(order))


def on_payment_overdue(event: PaymentOverdue) -> None:
    with unit_of_work() as s:
        payment = s.get(Payment, event.payment_id)
        if payment is None or payment.state != "requires_payment":  # paid (or cancelled) since the scan
            return
        order = s.get(Order, event.order_id)
        params = {"order": order.title, "reference": payment.reference, "days": event.days}
        save(s, tell(who.members(s, [order.buyer_org_id]), "payment.overdue", params), order_link(order))


def on_payout_sent(event: PayoutSent) -> None:
    with unit_of_work() as s:
        order = s.get(Order, event.order_id)
        params = {"order": order.title, "amount": money(event.net_minor, event.currency)}
        save(s, tell(who.members(s, [event.factory_org_id]), "payout.sent", params), order_link(order))


def on_refund_issued(event: RefundIssued) -> None:
    with unit_of_work() as s:
        order = s.get(Order, event.order_id)
        params = {"order": order.title, "amount": money(event.amount_minor, event.currency)}
        save(s, tell(who.members(s, [order.buyer_org_id]), "payment.refunded", params), order_link(order))


def on_auto_confirm_coming(event: AutoConfirmComing) -> None:
    with unit_of_work() as s:
        order = s.get(Order, event.order_id)
        if order.state != "shipped":  # confirmed or disputed since the scan
            return
        params = {"order": order.title, "at": when(event.confirm_at)}
        save(s, tell(who.members(s, [order.buyer_org_id]), "delivery.auto_confirm_soon", params), order_link(order))


HANDLED = (
    (PaymentRequested, on_payment_requested), (PaymentReceived, on_payment_received),
    (PaymentOverdue, on_payment_overdue), (PayoutSent, on_payout_sent), (RefundIssued, on_refund_issued),
    (AutoConfirmComing, on_auto_confirm_coming),
)
