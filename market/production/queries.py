"""Read-only production facts about a factory, for credit features and scorecards. Each
fact names the ledger entry that proves it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.orders.models import Quote, QuoteLine
from market.production.models import Lot, QcResult


@dataclass(frozen=True)
class Delivery:
    order_id: int
    lot_id: int
    promised_at: datetime  # the accepted quote's promised completion
    delivered_at: datetime
    ledger_index: int | None  # the delivery.confirmed entry


@dataclass(frozen=True)
class QcRecord:
    lot_id: int
    result: str  # 'pass' | 'fail'
    recorded_at: datetime
    ledger_index: int | None  # the qc.recorded entry


def factory_deliveries(session: Session, factory_id: int, start: datetime, end: datetime) -> list[Delivery]:
    """Lots delivered in [start, end) of orders in which the factory made an operation."""
    rows = session.execute(
        select(Lot, Quote.promised_at).join(Quote, (Quote.order_id == Lot.order_id) & (Quote.status == "accepted"))
        .where(Lot.status == "delivered", Lot.delivered_at >= start, Lot.delivered_at < end)
        .where(Quote.id.in_(select(QuoteLine.quote_id).where(QuoteLine.factory_id == factory_id)))
        .order_by(Lot.delivered_at)).all()
    return [Delivery(lot.order_id, lot.id, promised, lot.delivered_at, lot.delivery_ledger_index)
            for lot, promised in rows]


def factory_qc(session: Session, factory_id: int, start: datetime, end: datetime) -> list[QcRecord]:
    """The factory's own inspections recorded in [start, end)."""
    rows = session.scalars(select(QcResult).where(QcResult.factory_id == factory_id, QcResult.recorded_at >= start,
                                                  QcResult.recorded_at < end).order_by(QcResult.id))
    return [QcRecord(qc.lot_id, qc.result, qc.recorded_at, qc.ledger_index) for qc in rows]


@dataclass(frozen=True)
class OrderTrail:
    """The ledger entries of one order's production and delivery, by type: lot.commissioned,
    operation.completed (of the operations `factory_id` made), shipment.shipped, delivery.confirmed."""
    commissioned: list[int]
    completed: list[int]
    shipped: list[int]
    delivered: list[int]


def order_trail(session: Session, order_id: int, factory_id: int) -> OrderTrail:
    lots = list(session.scalars(select(Lot).where(Lot.order_id == order_id).order_by(Lot.id)))
    return OrderTrail([lot.ledger_index for lot in lots if lot.ledger_index is not None],
                      [op.finish_ledger_index for lot in lots for op in lot.operations
                       if op.factory_id == factory_id and op.finish_ledger_index is not None],
                      [lot.ship_ledger_index for lot in lots if lot.ship_ledger_index is not None],
                      [lot.delivery_ledger_index for lot in lots if lot.delivery_ledger_index is not None])
