"""What production does when a lower domain tells it something (market/bus.py)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from market import bus
from market.orders.domain_events import OrderMoveRequested, actor_of
from market.orders.models import Order
from market.production import services
from market.journal.ledger import Batch


def register(b: bus.MessageBus) -> None:
    # in the order's transaction: a party's move of the order keeps its lots in step (or is
    # refused); the lot entries join the move's ledger batch, appended with the order's entry
    b.in_unit_of_work(OrderMoveRequested, keep_lots_in_step)


def keep_lots_in_step(s: Session, event: OrderMoveRequested) -> None:
    order = s.get(Order, event.order_id)  # the publisher's locked object (the session's identity map)
    services.before_order_moves(s, order, actor_of(event.actor), event.to_state, Batch.of(s))
