"""Read-only facts about a factory's sales, for credit features and scorecards."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.catalog.models import Factory
from market.matching.models import Quote, QuoteLine
from market.orders.models import Order, OrderEvent
from market.trace.events import share_payload


@dataclass(frozen=True)
class Sale:
    """A factory's share of an accepted quote; `payload` + `salt` open the commitment in
    the quote.accepted entry at `ledger_index`."""

    order_id: int
    order_public_id: uuid.UUID
    buyer_org_id: int
    order_state: str
    accepted_at: datetime
    amount_minor: int
    currency: str
    payload: dict
    salt: str
    ledger_index: int | None


def factory_sales(session: Session, factory_id: int, start: datetime, end: datetime) -> list[Sale]:
    """Shares of quotes accepted in [start, end) in which this factory makes at least one operation."""
    factory = session.get(Factory, factory_id)
    accepted = (select(OrderEvent.order_id, OrderEvent.at).where(OrderEvent.to_state == "accepted")
                .where(OrderEvent.at >= start, OrderEvent.at < end).subquery())
    rows = session.execute(
        select(Quote, Order, accepted.c.at)
        .join(Order, Order.id == Quote.order_id).join(accepted, accepted.c.order_id == Order.id)
        .where(Quote.status == "accepted")
        .where(Quote.id.in_(select(QuoteLine.quote_id).where(QuoteLine.factory_id == factory_id)))
        .order_by(accepted.c.at)).all()
    sales = []
    for q, order, at in rows:
        amount = sum(line.price_minor for line in q.lines if line.factory_id == factory_id)
        key = str(factory.public_id)
        sales.append(Sale(order.id, order.public_id, order.buyer_org_id, order.state, at, amount, q.currency,
                          share_payload(order, key, amount, q.currency), q.share_salts.get(key, ""),
                          q.accepted_ledger_index))
    return sales
