"""What payments does when a lower domain tells it something (market/bus.py)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from market import bus
from market.orders.models import Quote
from market.orders.domain_events import OrderMoving, actor_of
from market.orders.models import Order
from market.payments import services


def register(b: bus.MessageBus) -> None:
    # in the order's transaction: the payment gate may refuse the move, and the money it
    # moves (payment, payouts, movements, ledger entries) commits with it or not at all
    b.in_unit_of_work(OrderMoving, follow_the_order)


def follow_the_order(s: Session, event: OrderMoving) -> None:
    order = s.get(Order, event.order_id)  # the publisher's locked object (the session's identity map)
    quote = s.get(Quote, event.quote_id) if event.quote_id is not None else None
    services.on_order_transition(s, order, event.from_state, event.to_state, actor_of(event.actor),
                                 note=event.note, quote=quote)
