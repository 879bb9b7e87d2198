"""Row scopes of orders: which orders an actor may see, and whose lots it may read. Query
filters, so another tenant's order is not found (404). The quotes they look into are an
order's offers (market/orders/models.py). Actor-only rules are the kernel's market/policy.py."""
from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_, select, true

from market.auth import Actor
from market.catalog.models import Factory
from market.orders.models import Order, Quote, QuoteLine, QuoteRequest


def visible_orders(actor: Actor) -> ColumnElement[bool]:
    """Buyers see their own orders; factories the orders they were asked to quote on and
    those they make a part of (an accepted quote can place work with any factory)."""
    if actor.is_operator:
        return true()
    return visible_to_org(actor.org_id)


def visible_to_org(org) -> ColumnElement[bool]:
    """`visible_orders` of a non-operator organization `org` (an id, or a bind parameter: the
    hot reads build their statement once and bind the viewer per call)."""
    invited = exists().where(and_(QuoteRequest.order_id == Order.id, QuoteRequest.factory_org_id == org))
    return or_(Order.buyer_org_id == org, invited, Order.id.in_(_producing(org)))


def lot_orders(actor: Actor) -> ColumnElement[bool]:
    """Orders whose lots (steps, machines, yields, QC, shipment) the actor may read: the
    buyer, the factories the accepted quote placed operations with, and the operator. A
    factory that was only invited to quote sees the order, never the winners' lots."""
    if actor.is_operator:
        return true()
    return or_(Order.buyer_org_id == actor.org_id, Order.id.in_(producing_orders(actor)))


def producing_orders(actor: Actor):
    """Ids of orders in whose accepted quote one of the actor's factories has an operation."""
    return _producing(actor.org_id)


def _producing(org):
    return (select(Quote.order_id).join(QuoteLine, QuoteLine.quote_id == Quote.id)
            .join(Factory, Factory.id == QuoteLine.factory_id)
            .where(Quote.status == "accepted", Factory.organization_id == org))
