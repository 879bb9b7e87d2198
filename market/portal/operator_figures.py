"""What the operator asks first: is the market liquid (open orders nobody quoted, capacity
nobody booked), how much of the demand is filled, the money through it (GMV, commission)
and the disputes waiting. Aggregates only. `now` is passed in (tests inject it)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select

from market.accounts.models import Organization
from market.catalog.models import CapacityWindow, Factory
from market.db import unit_of_work
from market.orders.models import Order, OrderEvent, Quote
from market.payments.models import Dispute, Movement

PERIOD_DAYS = 30
HORIZON_DAYS = 14  # capacity on sale over the next two weeks
FILLED = ("accepted", "in_production", "shipped", "delivered", "closed", "disputed")


@dataclass
class OperatorFigures:
    unquoted_orders: int  # open for quotes, due in the future, with no live quote
    open_orders: int
    unbooked_hours: float  # capacity on sale over the horizon that nobody booked
    offered_hours: float
    posted: int  # orders posted (opened) in the period
    filled: int  # of them, accepted (or further)
    gmv: dict[str, int] = field(default_factory=dict)  # currency -> captured in the period, net of refunds
    commission: dict[str, int] = field(default_factory=dict)  # currency -> kept in the period, net of returns
    open_disputes: int = 0

    @property
    def fill_rate(self) -> float | None:
        return self.filled / self.posted if self.posted else None

    @property
    def unbooked_share(self) -> float | None:
        return self.unbooked_hours / self.offered_hours if self.offered_hours else None


def _hours(s, status: tuple[str, ...], start: datetime, end: datetime) -> float:
    total = 0.0
    for a, b in s.execute(select(CapacityWindow.start_at, CapacityWindow.end_at).where(
            CapacityWindow.status.in_(status), CapacityWindow.start_at < end, CapacityWindow.end_at > start)):
        total += (min(b, end) - max(a, start)).total_seconds() / 3600
    return total


def _waiting(now: datetime):
    """Orders open for quotes and due in the future, and the condition "has a live quote"."""
    live_quote = exists().where(and_(Quote.order_id == Order.id, Quote.status == "open", Quote.expires_at > now))
    return (Order.state.in_(("open", "quoted")), Order.due_at > now), live_quote


def operator_figures(now: datetime) -> OperatorFigures:
    since = now - timedelta(days=PERIOD_DAYS)
    with unit_of_work() as s:
        waiting, live_quote = _waiting(now)
        open_orders = s.scalar(select(func.count()).select_from(Order).where(*waiting)) or 0
        unquoted = s.scalar(select(func.count()).select_from(Order).where(*waiting, ~live_quote)) or 0
        horizon = now + timedelta(days=HORIZON_DAYS)
        unbooked = _hours(s, ("open",), now, horizon)
        offered = _hours(s, ("open", "booked"), now, horizon)
        opened = (select(OrderEvent.order_id).where(OrderEvent.to_state == "open", OrderEvent.at >= since,
                                                     OrderEvent.at < now).distinct().subquery())
        posted = s.scalar(select(func.count()).select_from(opened)) or 0
        filled = s.scalar(select(func.count()).select_from(Order).join(opened, opened.c.order_id == Order.id)
                          .where(Order.state.in_(FILLED))) or 0
        gmv: dict[str, int] = defaultdict(int)
        commission: dict[str, int] = defaultdict(int)
        sign = {"capture": (gmv, 1), "refund": (gmv, -1), "commission": (commission, 1), "commission_return": (commission, -1)}
        for currency, kind, amount in s.execute(
                select(Movement.currency, Movement.kind, func.sum(Movement.amount_minor))
                .where(Movement.state == "succeeded", Movement.kind.in_(tuple(sign)), Movement.done_at >= since,
                       Movement.done_at < now).group_by(Movement.currency, Movement.kind)):
            into, k = sign[kind]
            into[currency] += k * int(amount or 0)
        disputes = s.scalar(select(func.count()).select_from(Dispute).where(Dispute.state != "resolved")) or 0
        return OperatorFigures(unquoted, open_orders, round(unbooked, 1), round(offered, 1), posted, filled,
                               dict(gmv), dict(commission), disputes)


@dataclass
class UnbookedCapacity:
    factory_name: str
    factory_public_id: object
    windows: int
    hours: float  # on sale and not booked, over the horizon


def liquidity(now: datetime, limit: int = 100) -> dict:
    """Behind the console's two liquidity figures: the open orders without a live quote (soonest
    due first, with their buyer) and, by factory, the capacity on sale over the next
    HORIZON_DAYS that nobody booked (most hours first)."""
    horizon = now + timedelta(days=HORIZON_DAYS)
    with unit_of_work() as s:
        waiting, live_quote = _waiting(now)
        orders = s.execute(select(Order, Organization.name).join(Organization, Organization.id == Order.buyer_org_id)
                           .where(*waiting, ~live_quote).order_by(Order.due_at).limit(limit)).all()
        hours: dict[int, list] = {}
        for factory_id, a, b in s.execute(select(CapacityWindow.factory_id, CapacityWindow.start_at, CapacityWindow.end_at)
                                          .where(CapacityWindow.status == "open", CapacityWindow.start_at < horizon,
                                                 CapacityWindow.end_at > now)):
            entry = hours.setdefault(factory_id, [0, 0.0])
            entry[0] += 1
            entry[1] += (min(b, horizon) - max(a, now)).total_seconds() / 3600
        names = {f.id: f for f in s.scalars(select(Factory).where(Factory.id.in_(hours)))} if hours else {}
        capacity = sorted((UnbookedCapacity(names[i].name, names[i].public_id, n, round(h, 1)) for i, (n, h) in hours.items()),
                          key=lambda c: -c.hours)
        return {"orders": [(o, buyer) for o, buyer in orders], "capacity": capacity, "horizon_days": HORIZON_DAYS}
