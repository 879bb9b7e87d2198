"""Small reads subcontracting shares between its rules and its pages."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.catalog.models import Factory
from market.orders.models import Order, Quote, QuoteLine
from market.subcontracting.models import SubcontractNode


def makers(s: Session, order_id: int) -> list[int]:
    """Organization ids of the factories the order's accepted quote places work with."""
    return sorted(set(s.scalars(select(Factory.organization_id).join(QuoteLine, QuoteLine.factory_id == Factory.id)
                                .join(Quote, Quote.id == QuoteLine.quote_id)
                                .where(Quote.order_id == order_id, Quote.status == "accepted"))))


def maker_names(s: Session, order_id: int) -> list[tuple[int, str]]:
    """(organization id, factory name) of every factory the accepted quote places work with."""
    rows = s.execute(select(Factory.organization_id, Factory.name).join(QuoteLine, QuoteLine.factory_id == Factory.id)
                     .join(Quote, Quote.id == QuoteLine.quote_id)
                     .where(Quote.order_id == order_id, Quote.status == "accepted").order_by(QuoteLine.seq))
    seen, out = set(), []
    for org_id, name in rows:
        if name not in seen:
            seen.add(name)
            out.append((org_id, name))
    return out


def name_disclosed(s: Session, order: Order) -> bool:
    """Whether the buyers above may see who makes `order`: a buyer's own order, or a sub-order
    whose maker consented (`PUT /orders/{sub}/name-consent`)."""
    if order.parent_order_id is None:
        return True
    node = s.get(SubcontractNode, order.id)
    return bool(node and node.name_disclosed)
