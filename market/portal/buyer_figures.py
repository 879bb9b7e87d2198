"""What a buyer asks first: where each order stands, with the date promised against the date
due; what was spent; and which suppliers deliver on time. Read-only, the buyer's own orders
only. `now` is passed in (tests inject it)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from market.accounts.models import Organization
from market.auth import Actor
from market.db import unit_of_work
from market.orders.models import Order, OrderEvent, Quote
from market.payments.models import Payment, Payout

IN_FLIGHT = ("accepted", "in_production", "shipped")
STAGES = ("draft", "open", "quoted", "accepted", "in_production", "shipped", "delivered")
SPEND_DAYS = 90
PAID = ("captured", "partially_refunded")


@dataclass(frozen=True)
class Promise:
    order_public_id: object
    title: str
    state: str
    due_at: datetime
    promised_at: datetime | None

    @property
    def late_by(self) -> timedelta | None:
        """How far the promise lies past the due date (None: on time or nothing promised)."""
        if self.promised_at is None or self.promised_at <= self.due_at:
            return None
        return self.promised_at - self.due_at


@dataclass(frozen=True)
class SupplierRecord:
    name: str
    delivered: int
    on_time: int

    @property
    def share(self) -> float:
        return self.on_time / self.delivered


@dataclass
class BuyerFigures:
    by_stage: dict[str, int]
    in_flight: list[Promise]
    spend: dict[str, int] = field(default_factory=dict)  # currency -> paid in the last SPEND_DAYS, net of refunds
    suppliers: list[SupplierRecord] = field(default_factory=list)


def buyer_figures(actor: Actor, now: datetime) -> BuyerFigures:
    with unit_of_work() as s:
        mine = Order.buyer_org_id == actor.org_id
        by_stage = dict(s.execute(select(Order.state, func.count()).where(mine).group_by(Order.state)).all())
        in_flight = [Promise(*row) for row in s.execute(
            select(Order.public_id, Order.title, Order.state, Order.due_at, Quote.promised_at)
            .outerjoin(Quote, (Quote.order_id == Order.id) & (Quote.status == "accepted"))
            .where(mine, Order.state.in_(IN_FLIGHT)).order_by(Order.due_at, Order.id))]
        spend: dict[str, int] = defaultdict(int)
        for currency, amount in s.execute(
                select(Payment.currency, func.sum(Payment.amount_minor)).where(
                    Payment.buyer_org_id == actor.org_id, Payment.state.in_(PAID),
                    Payment.captured_at >= now - timedelta(days=SPEND_DAYS), Payment.captured_at < now)
                .group_by(Payment.currency)):
            spend[currency] += int(amount or 0)
        # delivered: the first time the order reached 'delivered'; on time: by its due date
        delivered_at = (select(OrderEvent.order_id, func.min(OrderEvent.at).label("at"))
                        .where(OrderEvent.to_state == "delivered").group_by(OrderEvent.order_id).subquery())
        tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for name, due, at in s.execute(
                select(Organization.name, Order.due_at, delivered_at.c.at).distinct()
                .join(delivered_at, delivered_at.c.order_id == Order.id)
                .join(Payout, Payout.order_id == Order.id).join(Organization, Organization.id == Payout.factory_org_id)
                .where(mine, Payout.state != "cancelled")):
            tally[name][0] += 1
            tally[name][1] += int(at <= due)
        suppliers = sorted((SupplierRecord(n, d, o) for n, (d, o) in tally.items()), key=lambda r: (-r.delivered, r.name))
        return BuyerFigures(by_stage, in_flight, dict(spend), suppliers)
