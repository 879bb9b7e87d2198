"""What a factory owner asks first: how full is this week against what I offered, what has
been booked and paid, what runs next, what will be late, which machines stand idle with
nothing on sale, and which bids and invitations wait for me. Read-only; every query is
scoped to the actor's own factories. `now` is passed in (tests inject it)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, select

from market.auth import Actor
from market.bidding.models import LIVE, Bid
from market.catalog.models import CapacityWindow, Factory, Machine
from market.db import unit_of_work
from market.orders.models import Order, QuoteRequest
from market.payments.models import Payment, Payout
from market.payments.queries import factory_revenue
from market.telemetry.queries import capacity_utilization

PAID_DAYS = 30
IDLE_DAYS = 7  # a machine with no capacity on sale over the next week could be offered
NEXT_JOBS = 5
DONE = ("delivered", "closed", "cancelled")
GONE = ("refunded", "cancelled")  # a payment whose money will never reach the factory


def week_of(now: datetime, tz: str) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 of the week holding `now`, in zone `tz`."""
    local = now.astimezone(ZoneInfo(tz))
    monday = datetime.combine(local.date() - timedelta(days=local.weekday()), time(), ZoneInfo(tz))
    return monday, monday + timedelta(days=7)


@dataclass
class Week:
    offered_s: int = 0
    booked_s: int = 0
    run_s: int = 0

    @property
    def booked_share(self) -> float | None:
        return self.booked_s / self.offered_s if self.offered_s else None

    @property
    def run_share(self) -> float | None:
        return self.run_s / self.offered_s if self.offered_s else None


@dataclass(frozen=True)
class Job:
    order_public_id: object
    title: str
    machine: str
    factory_tz: str
    start_at: datetime
    end_at: datetime
    due_at: datetime

    @property
    def late(self) -> bool:
        return self.end_at > self.due_at


@dataclass
class FactoryFigures:
    week: Week
    week_start: datetime | None
    booked: dict[str, int] = field(default_factory=dict)  # currency -> net amount of payouts not paid yet
    paid: dict[str, int] = field(default_factory=dict)  # currency -> net paid out in the last PAID_DAYS
    next_jobs: list[Job] = field(default_factory=list)
    late: list[Job] = field(default_factory=list)
    idle: list[Machine] = field(default_factory=list)
    open_bids: int = 0
    invitations: int = 0


def factory_figures(actor: Actor, now: datetime) -> FactoryFigures:
    with unit_of_work() as s:
        factories = list(s.scalars(select(Factory).where(Factory.organization_id == actor.org_id).order_by(Factory.id)))
        ids = [f.id for f in factories] or [-1]
        week, week_start = Week(), None
        for f in factories:
            start, end = week_of(now, f.timezone)
            week_start = week_start or start
            u = capacity_utilization(s, f.id, start, end)
            week.offered_s += u.offered_s
            week.booked_s += u.booked_s
            week.run_s += u.run_s

        booked: dict[str, int] = defaultdict(int)
        for currency, gross, commission in s.execute(
                select(Payment.currency, func.sum(Payout.gross_minor), func.sum(Payout.commission_minor))
                .join(Payment, Payment.id == Payout.payment_id)
                .where(Payout.factory_org_id == actor.org_id, Payout.state.in_(("held", "frozen", "releasing")),
                       Payment.state.not_in(GONE))
                .group_by(Payment.currency)):
            booked[currency] += int(gross or 0) - int(commission or 0)
        paid: dict[str, int] = defaultdict(int)
        for f in factories:
            for r in factory_revenue(s, f.id, now - timedelta(days=PAID_DAYS), now):
                paid[r.currency] += r.amount_minor

        jobs = s.execute(
            select(Order.public_id, Order.title, Machine.name, Factory.timezone, CapacityWindow.start_at,
                   CapacityWindow.end_at, Order.due_at)
            .join(Order, Order.id == CapacityWindow.booked_order_id).join(Machine, Machine.id == CapacityWindow.machine_id)
            .join(Factory, Factory.id == CapacityWindow.factory_id)
            .where(CapacityWindow.factory_id.in_(ids), CapacityWindow.status == "booked", CapacityWindow.end_at > now,
                   Order.state.not_in(DONE))
            .order_by(CapacityWindow.start_at, CapacityWindow.id)).all()
        jobs = [Job(*row) for row in jobs]

        on_sale = exists().where(and_(CapacityWindow.machine_id == Machine.id, CapacityWindow.status.in_(("open", "booked")),
                                      CapacityWindow.start_at < now + timedelta(days=IDLE_DAYS), CapacityWindow.end_at > now))
        idle = list(s.scalars(select(Machine).where(Machine.factory_id.in_(ids), Machine.status == "active", ~on_sale)
                              .order_by(Machine.name)))

        open_bids = s.scalar(select(func.count()).select_from(Bid).where(
            Bid.factory_org_id == actor.org_id, Bid.status.in_(LIVE), Bid.expires_at > now)) or 0
        answered = exists().where(and_(Bid.order_id == QuoteRequest.order_id, Bid.factory_org_id == actor.org_id))
        invitations = s.scalar(select(func.count()).select_from(QuoteRequest).join(Order, Order.id == QuoteRequest.order_id)
                               .where(QuoteRequest.factory_org_id == actor.org_id, Order.state.in_(("open", "quoted")),
                                      Order.due_at > now, ~answered)) or 0
        return FactoryFigures(week, week_start, dict(booked), dict(paid), jobs[:NEXT_JOBS], [j for j in jobs if j.late],
                              idle, open_bids, invitations)
