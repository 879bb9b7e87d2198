"""Row scope of bids (sealed bidding): a factory reads its own organization's bids only, the
buyer every bid on its orders, the operator all. A query filter, so another factory's bid is
simply not found (404)."""
from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select, true

from market.auth import Actor
from market.bidding.models import Bid
from market.orders.models import Order


def visible_bids(actor: Actor) -> ColumnElement[bool]:
    if actor.is_operator:
        return true()
    return or_(Bid.factory_org_id == actor.org_id,
               Bid.order_id.in_(select(Order.id).where(Order.buyer_org_id == actor.org_id)))
