"""Aggregates off the request path: ingest marks the (machine, local day) pairs its readings
change as dirty, in the transaction that stores them; the rollup recomputes the dirty days
and deletes their marks in one transaction, so each mark is consumed exactly once.

Concurrency (PostgreSQL):
- ingest upserts a mark with ON CONFLICT DO UPDATE, which waits for a mark a rollup has
  claimed and, once that rollup deleted it, inserts it again: readings committed after a
  rollup read the day always leave a mark behind them;
- a rollup holds its factory (FOR NO KEY UPDATE SKIP LOCKED: ingest's foreign-key checks
  do not wait for it) while it recomputes, because a factory day sums all its machines'
  days; parallel rollups take different factories, and the holder drains its factory
  before letting go;
- marks are claimed FOR UPDATE SKIP LOCKED (a mark an ingest is re-marking is left for the
  next round).
SQLite: both sides take the database write lock (market.db.write_lock).
"""
from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.orm import Session

from market.catalog.models import Factory
from market.db import unit_of_work, utcnow, write_lock
from market.telemetry import calendar as cal
from market.telemetry import rollup
from market.telemetry.models import DirtyDay, Reading


def days_of(stamps: list[datetime], tz: str) -> set[date]:
    """The local days of `stamps` (sorted in place), one zone lookup per day, not per reading;
    and the day before each stamp that is a local midnight (cal.reporting_days)."""
    if not stamps:
        return set()
    stamps.sort()
    day, last = cal.local_day(stamps[0], tz), cal.local_day(stamps[-1], tz)
    out = {day, last}
    while day < last:
        lo, hi = cal.day_bounds(day, tz)
        i = bisect_left(stamps, hi)
        if i == len(stamps):
            break
        day = cal.local_day(stamps[i], tz)  # the next day that has a reading
        out.add(day)
    for day in list(out):  # each day's first stamp is the only one that can be its midnight
        lo = cal.day_bounds(day, tz)[0]
        i = bisect_left(stamps, lo)
        if i < len(stamps) and stamps[i] == lo:
            out.add(day - timedelta(days=1))
    return out


def affected_days(s: Session, machine_id: int, tz: str, stamps: list[datetime]) -> set[date]:
    """The local days of `stamps`, plus the day of the first stored reading after the latest
    of them (its state and counters carry over from these)."""
    days = days_of(stamps, tz)
    if stamps:
        after = s.scalar(select(Reading.ts).where(Reading.machine_id == machine_id, Reading.ts > stamps[-1])
                         .order_by(Reading.ts).limit(1))
        if after is not None:
            days.update(cal.reporting_days(after, tz))
    return days


def mark(s: Session, machine_id: int, factory_id: int, days: set[date], now: datetime) -> None:
    """Mark the machine's `days` dirty inside the caller's transaction."""
    if not days:
        return
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(DirtyDay).values([{"machine_id": machine_id, "day": d, "factory_id": factory_id, "marked_at": now}
                                    for d in sorted(days)])
    # DO UPDATE, not DO NOTHING: it waits for a mark a rollup holds (see the module docstring)
    s.execute(stmt.on_conflict_do_update(index_elements=["machine_id", "day"],
                                         set_={"marked_at": stmt.excluded.marked_at}))


def rollup_factory(factory_id: int, now: datetime | None = None) -> int | None:
    """One round for one factory: claim its dirty marks, recompute those machine days and
    the factory's days, append closed days' summaries (and corrections), delete the marks.
    Returns how many marks were consumed, or None when another rollup holds the factory."""
    now = now or utcnow()
    with unit_of_work() as s:
        write_lock(s)
        held = s.scalar(select(Factory.id).where(Factory.id == factory_id)
                        .with_for_update(skip_locked=True, key_share=True))
        if held is None:
            return None
        marks = s.execute(select(DirtyDay.machine_id, DirtyDay.day).where(DirtyDay.factory_id == factory_id)
                          .with_for_update(skip_locked=True)).all()
        by_machine: dict[int, set[date]] = defaultdict(set)
        for machine_id, day in marks:
            by_machine[machine_id].add(day)
        done: list[tuple[int, date]] = []
        days: set[date] = set()
        for machine_id, wanted in sorted(by_machine.items()):
            recomputed = rollup.recompute_machine(s, machine_id, wanted, now)  # days after today wait
            done += [(machine_id, d) for d in recomputed]
            days |= recomputed
        rows = rollup.recompute_factory(s, factory_id, days, now)
        if done:
            s.execute(delete(DirtyDay).where(tuple_(DirtyDay.machine_id, DirtyDay.day).in_(done)))
        rollup.summarize(s, factory_id, now, rows)
        s.commit()
        return len(done)


def drain(now: datetime | None = None) -> dict:
    """Recompute every dirty day until none is left that this process can take (a factory
    another rollup holds is that rollup's to drain). Returns {marks, factories}."""
    consumed, factories = 0, set()
    while True:
        with unit_of_work() as s:
            pending = list(s.scalars(select(DirtyDay.factory_id).distinct().order_by(DirtyDay.factory_id)))
        progress = 0
        for factory_id in pending:
            n = rollup_factory(factory_id, now)
            if n:
                progress += n
                factories.add(factory_id)
        consumed += progress
        if not progress:
            return {"marks": consumed, "factories": len(factories)}


def pending(s: Session) -> int:
    """How many (machine, day) marks wait for a rollup."""
    return s.scalar(select(func.count()).select_from(DirtyDay))
