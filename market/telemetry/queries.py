"""Read-side of telemetry that other domains build on (credit scoring, dashboards).

STABLE CONTRACT: the three functions at the top and their dataclasses keep their names,
parameters and fields. They take an open session and internal factory ids, do no
authorization (callers have decided that) and never write.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.catalog.models import CapacityWindow
from market.telemetry import spans as sp
from market.telemetry.models import FactoryDay, StateInterval
from market.telemetry.oee import Figures

OFFERED = ("open", "booked", "unavailable")


@dataclass(frozen=True)
class OeeDay:
    """A factory's OEE over one local day (its time zone). Ratios are None without a
    denominator (see market.telemetry.oee). `ledger_index` is the entry committing to the
    figures (the latest correction, if any), None until the day is closed."""

    day: date
    planned_s: int
    run_s: int
    total: int
    good: int
    availability: float | None
    performance: float | None
    quality: float | None
    oee: float | None
    ledger_index: int | None


@dataclass(frozen=True)
class DownInterval:
    machine_id: int
    start: datetime
    end: datetime
    reason: str


@dataclass(frozen=True)
class Utilization:
    """Seconds of published capacity (open, booked or made unavailable; not withdrawn),
    of it booked, and of it actually running according to telemetry."""

    offered_s: int
    booked_s: int
    run_s: int


def factory_figures(row: FactoryDay) -> Figures:
    return Figures(row.planned_s, row.run_s, row.total, row.good, row.ideal_work_ms, row.ideal_run_s)


def factory_oee_days(session: Session, factory_id: int, start: date, end: date) -> list[OeeDay]:
    """One OeeDay per local day in [start, end] (both included) that has telemetry."""
    rows = session.scalars(select(FactoryDay).where(
        FactoryDay.factory_id == factory_id, FactoryDay.day >= start, FactoryDay.day <= end).order_by(FactoryDay.day))
    out = []
    for row in rows:
        f = factory_figures(row)
        out.append(OeeDay(row.day, row.planned_s, row.run_s, row.total, row.good, f.availability, f.performance,
                          f.quality, f.oee, row.ledger_index))
    return out


def _merged(rows) -> list[tuple]:
    """Intervals split at local midnights joined again: (machine_id, start, end, state, reason)."""
    out: list[list] = []
    for machine_id, a, b, state, reason in rows:
        last = out[-1] if out else None
        if last and last[0] == machine_id and last[2] == a and last[3] == state and last[4] == reason:
            last[2] = b
        else:
            out.append([machine_id, a, b, state, reason])
    return [tuple(r) for r in out]


def machine_intervals(session: Session, *, start: datetime, end: datetime, factory_id: int | None = None,
                      machine_id: int | None = None, states: tuple[str, ...] | None = None) -> list[tuple]:
    """(machine_id, start, end, state, reason) overlapping [start, end), clipped, merged
    across midnights, ordered by machine then time."""
    stmt = select(StateInterval.machine_id, StateInterval.start_at, StateInterval.end_at, StateInterval.state,
                  StateInterval.reason).where(StateInterval.start_at < end, StateInterval.end_at > start)
    if factory_id is not None:
        stmt = stmt.where(StateInterval.factory_id == factory_id)
    if machine_id is not None:
        stmt = stmt.where(StateInterval.machine_id == machine_id)
    if states:
        stmt = stmt.where(StateInterval.state.in_(states))
    rows = session.execute(stmt.order_by(StateInterval.machine_id, StateInterval.start_at)).all()
    return [(m, max(a, start), min(b, end), st, r) for m, a, b, st, r in _merged(rows)]


def factory_downtime(session: Session, factory_id: int, start: datetime, end: datetime) -> list[DownInterval]:
    """The factory's machines in state 'down' within [start, end), clipped to it."""
    return [DownInterval(m, a, b, r or "unspecified")
            for m, a, b, _, r in machine_intervals(session, start=start, end=end, factory_id=factory_id, states=("down",))]


def capacity_utilization(session: Session, factory_id: int, start: datetime, end: datetime) -> Utilization:
    """Published capacity of the factory within [start, end) and how much of it was booked
    and actually run (running intervals inside the machine's offered windows)."""
    windows = session.execute(select(CapacityWindow.machine_id, CapacityWindow.start_at, CapacityWindow.end_at,
                                     CapacityWindow.status).where(
        CapacityWindow.factory_id == factory_id, CapacityWindow.status.in_(OFFERED),
        CapacityWindow.start_at < end, CapacityWindow.end_at > start)).all()
    offered: dict[int, list] = defaultdict(list)
    booked = 0
    for machine_id, a, b, status in windows:
        a, b = max(a, start), min(b, end)
        offered[machine_id].append((a, b))
        if status == "booked":
            booked += int((b - a).total_seconds())
    running: dict[int, list] = defaultdict(list)
    for m, a, b, _, _ in machine_intervals(session, start=start, end=end, factory_id=factory_id, states=("running",)):
        running[m].append((a, b))
    run = sum(sp.seconds(sp.intersect(sp.normalise(running[m]), sp.normalise(spans))) for m, spans in offered.items())
    return Utilization(sum(sp.seconds(sp.normalise(v)) for v in offered.values()), booked, run)
