"""Read-only facts about a factory's sales, for credit features and scorecards."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.catalog.models import Factory
from market.orders.models import Order, OrderEvent, Quote, QuoteLine
from market.orders.ledger_events import share_payload


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


def order_share(session: Session, order_id: int, factory_id: int) -> Sale | None:
    """This factory's share of the order's accepted quote (None: no accepted quote with it)."""
    factory = session.get(Factory, factory_id)
    row = session.execute(
        select(Quote, Order).join(Order, Order.id == Quote.order_id)
        .where(Quote.order_id == order_id, Quote.status == "accepted")
        .where(Quote.id.in_(select(QuoteLine.quote_id).where(QuoteLine.factory_id == factory_id)))).first()
    if row is None:
        return None
    q, order = row
    at = session.scalar(select(OrderEvent.at).where(OrderEvent.order_id == order_id, OrderEvent.to_state == "accepted")
                        .order_by(OrderEvent.at.desc()).limit(1))
    amount = sum(line.price_minor for line in q.lines if line.factory_id == factory_id)
    key = str(factory.public_id)
    return Sale(order.id, order.public_id, order.buyer_org_id, order.state, at, amount, q.currency,
                share_payload(order, key, amount, q.currency), q.share_salts.get(key, ""), q.accepted_ledger_index)


@dataclass(frozen=True)
class Cancellation:
    """An order this factory had an accepted share in, cancelled afterwards; the
    order.state_changed entry at `ledger_index` says so (`data.to` = "cancelled")."""

    order_id: int
    order_public_id: uuid.UUID
    from_state: str
    cancelled_at: datetime
    ledger_index: int | None


AFTER_ACCEPTANCE = ("accepted", "in_production", "shipped", "delivered", "disputed")


def factory_cancellations(session: Session, factory_id: int, start: datetime, end: datetime) -> list[Cancellation]:
    """Orders cancelled in [start, end) after a quote with a share of this factory had been
    accepted (a cancellation before acceptance is no mark against anybody)."""
    shares = select(Quote.order_id).where(Quote.status == "accepted").where(
        Quote.id.in_(select(QuoteLine.quote_id).where(QuoteLine.factory_id == factory_id)))
    rows = session.execute(
        select(OrderEvent, Order.public_id).join(Order, Order.id == OrderEvent.order_id)
        .where(OrderEvent.to_state == "cancelled", OrderEvent.from_state.in_(AFTER_ACCEPTANCE))
        .where(OrderEvent.at >= start, OrderEvent.at < end, OrderEvent.order_id.in_(shares))
        .order_by(OrderEvent.at)).all()
    return [Cancellation(e.order_id, public_id, e.from_state, e.at, e.ledger_index) for e, public_id in rows]
