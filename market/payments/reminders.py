"""Payment facts that hold for a while and are told once (bus.publish_once), found by the
periodic reminders scan: a buyer who has not paid PAYMENT_DUE_DAYS after accepting, and a
shipped order AUTO_CONFIRM_NOTICE_DAYS before auto_confirm_deliveries confirms it."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from market import bus
from market.db import unit_of_work, utcnow
from market.orders.models import Order, OrderEvent
from market.payments.domain_events import AutoConfirmComing, PaymentOverdue
from market.payments.models import Payment

OWED_IN = ("accepted", "in_production", "shipped")  # order states in which an unpaid payment is late


def _once(key: str, event) -> bool:
    with unit_of_work() as s:
        try:
            told = bus.publish_once(s, key, event)
            s.commit()
        except IntegrityError:  # another scan told it meanwhile
            return False
        return told


def publish_due(now: datetime | None = None) -> dict:
    now = now or utcnow()
    config = current_app.config
    due_days = float(config["PAYMENT_DUE_DAYS"])
    confirm_days = float(config["DELIVERY_AUTO_CONFIRM_DAYS"])
    notice = timedelta(days=float(config["AUTO_CONFIRM_NOTICE_DAYS"]))
    with unit_of_work() as s:
        late = s.execute(select(Payment.id, Payment.order_id).join(Order, Order.id == Payment.order_id)
                         .where(Payment.state == "requires_payment", Order.state.in_(OWED_IN),
                                Payment.created_at <= now - timedelta(days=due_days))).all()
        shipped_at = (select(OrderEvent.order_id, func.max(OrderEvent.at).label("at"))
                      .where(OrderEvent.to_state == "shipped").group_by(OrderEvent.order_id).subquery())
        window_start = now - timedelta(days=confirm_days)  # older: auto_confirm_deliveries' turn
        soon = s.execute(select(Order.id, shipped_at.c.at).join(shipped_at, shipped_at.c.order_id == Order.id)
                         .where(Order.state == "shipped", shipped_at.c.at <= window_start + notice,
                                shipped_at.c.at > window_start)).all()
    counts = {"payment_overdue": 0, "auto_confirm_coming": 0}
    for payment_id, order_id in late:
        counts["payment_overdue"] += _once(f"payment.overdue:{payment_id}",
                                           PaymentOverdue(order_id, payment_id, int(due_days)))
    for order_id, at in soon:
        at = at if at.tzinfo else at.replace(tzinfo=now.tzinfo)
        confirm_at = at + timedelta(days=confirm_days)
        counts["auto_confirm_coming"] += _once(f"order.auto_confirm:{order_id}:{at.isoformat()}",
                                               AutoConfirmComing(order_id, confirm_at.isoformat()))
    return counts
