"""What subcontracting does when a lower domain tells it something (market/bus.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from market import bus
from market.db import unit_of_work
from market.matching.domain_events import Replanned
from market.orders.domain_events import OrderMoving
from market.orders.models import Order, Quote
from market.subcontracting import cascade
from market.subcontracting.promises import set_own_promise


def register(b: bus.MessageBus) -> None:
    # in the move's transaction: the cascade cancels sub-orders with their parent (all or nothing),
    # and a sub-order's promise is known the moment its quote is accepted
    b.in_unit_of_work(OrderMoving, follow_the_order)
    # after matching's re-plan committed: the new end of the booked work moves the tree's promises
    b.after_commit(Replanned, promise_after_replan)


def follow_the_order(s: Session, event: OrderMoving) -> None:
    if event.to_state == "cancelled":
        cascade.on_cancelled(s, event)
    elif event.to_state == "accepted" and event.quote_id is not None:
        quote = s.get(Quote, event.quote_id)
        set_own_promise(s, s.get(Order, event.order_id), quote.promised_at)


def promise_after_replan(event: Replanned) -> None:
    with unit_of_work() as s:
        order = s.get(Order, event.order_id)
        ends = datetime.fromisoformat(event.ends_at)
        quote = s.scalar(select(Quote).where(Quote.order_id == order.id, Quote.status == "accepted"))
        # the quote's promise may include the last hand-over: a re-plan only ever moves it later
        set_own_promise(s, order, max(ends, quote.promised_at) if quote else ends)
        s.commit()
