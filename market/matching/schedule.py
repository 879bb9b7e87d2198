"""A factory's schedule: its machines and, over a period, the booked work (with the order,
late work flagged) and the capacity still open. Feeds the Gantt chart and its JSON. It reads
the catalog's machines and windows and the orders booked on them: a matching view (bookings),
served under the catalog's URLs (schedule_pages.py)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from flask_babel import lazy_gettext as _l

from market import errors
from market.auth import Actor
from market.catalog.models import CapacityWindow, Machine
from market.catalog.services import get_factory
from market.db import unit_of_work, utcnow
from market.orders.models import Order

MAX_SPAN = timedelta(days=62)


@dataclass(frozen=True)
class Bar:
    start_at: datetime
    end_at: datetime
    kind: str  # "booked" | "open" | "unavailable"
    order_public_id: uuid.UUID | None = None
    order_title: str = ""
    due_at: datetime | None = None

    @property
    def late(self) -> bool:
        return self.due_at is not None and self.end_at > self.due_at


@dataclass
class Row:
    machine_public_id: uuid.UUID
    name: str
    status: str
    bars: list[Bar] = field(default_factory=list)


@dataclass
class Schedule:
    factory_name: str
    timezone: str
    start: datetime
    end: datetime
    rows: list[Row]

    def x(self, moment: datetime, *, left: float = 150, width: float = 830) -> float:
        """Horizontal position of `moment` on a chart `width` wide after a `left` label column."""
        span = (self.end - self.start).total_seconds()
        clipped = min(max(moment, self.start), self.end)
        return round(left + (clipped - self.start).total_seconds() / span * width, 1)

    def days(self) -> list[datetime]:
        """Local midnights (the factory's zone) inside the period: the chart's gridlines."""
        tz = ZoneInfo(self.timezone)
        day = self.start.astimezone(tz).date() + timedelta(days=1)
        out = []
        while (midnight := datetime.combine(day, time(), tz)) < self.end:
            out.append(midnight)
            day += timedelta(days=1)
        return out


def factory_schedule(actor: Actor, factory_id: uuid.UUID, start: datetime | None = None,
                     end: datetime | None = None) -> Schedule:
    factory = get_factory(actor, factory_id)  # scoped: 404 for other tenants
    start = start or utcnow().replace(minute=0, second=0, microsecond=0)
    end = end or start + timedelta(days=14)
    if end <= start:
        raise errors.refusal(errors.Invalid, _l("The end must be after the start."), field="to",
                             detail="'to' must be after 'from'")
    if end - start > MAX_SPAN:
        raise errors.refusal(errors.Invalid, _l("A schedule covers at most %(n)d days.", n=MAX_SPAN.days), field="to",
                             detail=f"a schedule covers at most {MAX_SPAN.days} days")
    with unit_of_work() as s:
        machines = list(s.scalars(select(Machine).where(Machine.factory_id == factory.id).order_by(Machine.name)))
        rows = {m.id: Row(m.public_id, m.name, m.status) for m in machines}
        found = s.execute(
            select(CapacityWindow, Order.public_id, Order.title, Order.due_at)
            .outerjoin(Order, Order.id == CapacityWindow.booked_order_id)
            .where(CapacityWindow.factory_id == factory.id, CapacityWindow.status.in_(("open", "booked", "unavailable")),
                   CapacityWindow.start_at < end, CapacityWindow.end_at > start)
            .order_by(CapacityWindow.start_at))
        for w, order_id, title, due in found:
            rows[w.machine_id].bars.append(Bar(w.start_at, w.end_at, w.status, order_id, title or "", due))
    return Schedule(factory.name, factory.timezone, start, end, list(rows.values()))
