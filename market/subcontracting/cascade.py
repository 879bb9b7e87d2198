"""What cancelling an order does to its sub-orders (the rules, docs/subcontracting.md):

- a sub-order not yet in production (draft, open, quoted, accepted) is cancelled with it, in
  the same transaction, and so on down the tree: its booked capacity is freed and payments
  gives its escrow back to the tier that paid it;
- a sub-order in production, shipped or disputed is not cancelled: the sub-tier has started
  and stops only with its agreement. It is flagged `needs_agreement` for the factory making
  it and the operator (SubOrderCancelBlocked), who settle it;
- delivered and closed sub-orders are done: nothing changes.

Cancelling a sub-order tells the factory that placed it (SubOrderCancelled)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from market import bus
from market.journal.ledger import record
from market.orders import history_notes
from market.orders.domain_events import OrderMoving
from market.orders.models import Order
from market.orders.services import move
from market.orders.states import check_transition
from market.subcontracting.domain_events import SubOrderCancelBlocked, SubOrderCancelled
from market.subcontracting.models import SubcontractNode
from market.subcontracting.queries import makers

CANCELLED_WITH_PARENT = ("draft", "open", "quoted", "accepted")
NEEDS_AGREEMENT = ("in_production", "shipped", "disputed")


def on_cancelled(s: Session, event: OrderMoving) -> None:
    """In the cancelling move's unit of work (its OrderMoving handler)."""
    order = s.get(Order, event.order_id)
    if order.parent_order_id is not None:
        actor_user = (event.actor or {}).get("user_id")
        bus.publish(s, SubOrderCancelled(order.id, order.parent_order_id, order.buyer_org_id, event.actor is None,
                                         actor_user))
    subs = list(s.scalars(select(Order).where(Order.parent_order_id == order.id).order_by(Order.id)
                          .with_for_update(of=Order)))
    for sub in subs:
        if sub.state in CANCELLED_WITH_PARENT:
            check_transition(sub.state, "cancelled", "system")
            # the platform moves it (actor None): its own OrderMoving cascades one tier further down
            record(s, move(s, sub, None, "cancelled", history_notes.PARENT_CANCELLED()))
        elif sub.state in NEEDS_AGREEMENT:
            node = s.get(SubcontractNode, sub.id)
            if node is not None and node.cancel_flag is None:
                node.cancel_flag = "needs_agreement"
                bus.publish(s, SubOrderCancelBlocked(sub.id, order.id, makers(s, sub.id)))
