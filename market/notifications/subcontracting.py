"""Who subcontracting's events tell (catalogue: the suborder.* kinds). Texts carry titles and
dates only: never a tier's price, never the name of a factory that did not consent."""
from __future__ import annotations

from market import bus
from market.db import unit_of_work
from market.notifications import recipients as who
from market.notifications.handlers import _order_link, _save, _tell, _when
from market.notifications.telling import in_batch
from market.orders.models import Order
from market.subcontracting.domain_events import SubOrderCancelBlocked, SubOrderCancelled, SubOrderDelayed


def on_sub_order_delayed(event: SubOrderDelayed) -> None:
    """The buyer of the order whose promise moved (the tier above, up to the original buyer)."""
    with unit_of_work() as s:
        order = s.get(Order, event.order_id)
        params = {"order": order.title, "new": _when(event.new)}
        _save(s, _tell(who.members(s, [order.buyer_org_id]), "suborder.delayed", params), _order_link(order))


def on_sub_order_cancelled(event: SubOrderCancelled) -> None:
    """The factory that placed the sub-order (its buyer), save the member who cancelled it."""
    with unit_of_work() as s:
        order = s.get(Order, event.sub_order_id)
        users = who.members(s, [event.factory_org_id], exclude_user_id=event.actor_user_id)
        _save(s, _tell(users, "suborder.cancelled", {"order": order.title}), _order_link(order))


def on_sub_order_cancel_blocked(event: SubOrderCancelBlocked) -> None:
    with unit_of_work() as s:
        order = s.get(Order, event.sub_order_id)
        users = who.members(s, [*event.factory_org_ids, *who.operator_orgs(s)])
        _save(s, _tell(users, "suborder.cancel_blocked", {"order": order.title}), _order_link(order))


def register(b: bus.MessageBus) -> None:
    b.after_commit(SubOrderDelayed, in_batch(on_sub_order_delayed), batch=True)
    b.after_commit(SubOrderCancelled, in_batch(on_sub_order_cancelled), batch=True)
    b.after_commit(SubOrderCancelBlocked, in_batch(on_sub_order_cancel_blocked), batch=True)
