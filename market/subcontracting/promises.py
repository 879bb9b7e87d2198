"""When each order of a subcontracting tree will be done. An order's own promise is when its
booked work ends (accepted quote, re-plans); a sub-order finishing after its due date (when
the parent needs the work back) delays the parent by as much, and so on up to the root:

    tree_promised(order) = promised(order) + max(0, max over live sub-orders of
                                                 tree_promised(sub) - due(sub))

Conservative: the parent's later operations are taken to shift by the whole delay."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from market import bus
from market.orders.models import Order
from market.subcontracting.domain_events import SubOrderDelayed
from market.subcontracting.models import SubcontractNode


def delay_of(s: Session, order: Order) -> timedelta:
    """How late the order's sub-tiers make it (never negative)."""
    worst = timedelta(0)
    for sub in s.scalars(select(Order).where(Order.parent_order_id == order.id, Order.state != "cancelled")):
        node = s.get(SubcontractNode, sub.id)
        if node is not None and node.tree_promised_at is not None:
            worst = max(worst, node.tree_promised_at - sub.due_at)
    return worst


def set_own_promise(s: Session, order: Order, promised) -> None:
    """The order's booked work now ends at `promised`: recompute its tree's promises."""
    node = s.get(SubcontractNode, order.id)
    if node is None or promised is None:
        return  # not part of a tree: matching's own promise is all there is
    node.promised_at = promised
    propagate(s, order)


def propagate(s: Session, order: Order) -> None:
    """Recompute `order`'s tree promise and, while it moves, its ancestors'; every ancestor
    whose promise moved later is told by a SubOrderDelayed (the order itself was told by the
    domain that moved it, or moved it itself)."""
    current, origin = order, order
    while current is not None:
        node = s.get(SubcontractNode, current.id)
        if node is None:
            return
        old = node.tree_promised_at
        new = node.promised_at + delay_of(s, current) if node.promised_at is not None else None
        if new == old:
            return
        node.tree_promised_at = new
        s.flush()
        if current is not origin and new is not None and (old is None or new > old):
            bus.publish(s, SubOrderDelayed(current.id, origin.id, old.isoformat() if old else None, new.isoformat()))
        current = s.get(Order, current.parent_order_id) if current.parent_order_id else None
