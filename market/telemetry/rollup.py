"""Readings -> state intervals and daily aggregates, and daily summaries on the ledger.

Recomputing is by whole local days of the factory, so late or out-of-order data simply
recomputes the days it falls on (and the day after, whose carry-over it may change).
Closed days (their local midnight has passed) get a `telemetry.daily_summary` event; a
recompute that changes a committed day appends a correcting event, never an edit.
"""
from __future__ import annotations

import gc
from bisect import bisect_left, bisect_right
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ledger import disclosure
from ledger.events import Correction
from market.catalog.models import CapacityWindow, Factory, Machine
from market.telemetry import calendar as cal
from market.telemetry import events, holidays
from market.telemetry.intervals import Carry, Point, machine_day
from market.telemetry.models import CalendarClosure, FactoryDay, MachineDay, MachineProfile, Reading, ShiftCalendar, StateInterval
from market.journal.ledger import record


def offline_after() -> timedelta:
    return timedelta(seconds=current_app.config["TELEMETRY_OFFLINE_AFTER_S"])


def weekly_calendar(s: Session, factory_id: int) -> dict:
    row = s.get(ShiftCalendar, factory_id)
    return row.weekly if row else cal.DEFAULT_WEEKLY


def factory_calendar(s: Session, factory: Factory) -> cal.Calendar:
    """The factory's shifts with their exceptions. China's holidays apply to a factory in a
    mainland zone unless its calendar turns them off; closures are loaded whole (a factory
    has a handful a year)."""
    row = s.get(ShiftCalendar, factory.id)
    closures = tuple(s.execute(select(CalendarClosure.first_day, CalendarClosure.last_day)
                               .where(CalendarClosure.factory_id == factory.id)).all())
    follows = (row.public_holidays if row else True) and factory.timezone in holidays.CN_ZONES
    return cal.Calendar(row.weekly if row else cal.DEFAULT_WEEKLY, factory.timezone, closures, follows)


def _carry_before(s: Session, machine_id: int, lo: datetime) -> Carry:
    base = select(Reading).where(Reading.machine_id == machine_id, Reading.ts < lo).order_by(Reading.ts.desc()).limit(1)
    seen = s.scalar(select(Reading.ts).where(Reading.machine_id == machine_id, Reading.ts < lo)
                    .order_by(Reading.ts.desc()).limit(1))
    if seen is None:
        return Carry()
    state = s.scalar(base.where(Reading.state.is_not(None)))
    counters = s.scalar(base.where(Reading.total.is_not(None)))
    return Carry(state.state if state else None, state.reason if state else None, seen,
                 counters.total if counters else None, counters.good if counters else None)


def _point_rows(cursor):
    return Point._make


def _points(s: Session, machine_id: int, lo: datetime, hi: datetime) -> list[Point]:
    """The machine's readings in [lo, hi], in time order (a counter reading at `hi` reports
    the last day's parts: intervals.machine_day). PostgreSQL hands back aware
    datetimes itself, so the hot path skips per-row type processing there."""
    conn = s.connection()
    if conn.dialect.name == "postgresql":
        # fetchall on the driver, rows made as Points right away: no per-row Python layers
        cursor = conn.connection.driver_connection.cursor(row_factory=_point_rows)
        cursor.execute("SELECT ts, state, reason, total, good FROM telemetry_readings "
                       "WHERE machine_id = %s AND ts >= %s AND ts <= %s ORDER BY ts", (machine_id, lo, hi))
        # Tens of thousands of new tuples would trigger the cyclic garbage collector again and
        # again (3-4x the fetch itself); they hold no cycles, so let it rest during the fetch.
        paused = gc.isenabled()
        gc.disable()
        try:
            return cursor.fetchall()
        finally:
            if paused:
                gc.enable()
    # SQLite keeps UTCDateTime as naive UTC text 'YYYY-MM-DD HH:MM:SS.ffffff' (fixed width, so
    # text order is time order): query and parse it on the driver, as the ORM type would
    def text_of(t: datetime) -> str:
        return t.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")

    rows = conn.exec_driver_sql("SELECT ts, state, reason, total, good FROM telemetry_readings "
                                "WHERE machine_id = ? AND ts >= ? AND ts <= ? ORDER BY ts",
                                (machine_id, text_of(lo), text_of(hi))).fetchall()
    paused = gc.isenabled()
    gc.disable()  # as above
    try:
        utc, parse = timezone.utc, datetime.fromisoformat
        return [Point(parse(ts).replace(tzinfo=utc), state, reason, total, good)
                for ts, state, reason, total, good in rows]
    finally:
        if paused:
            gc.enable()


def _carry_through(c: Carry, points: list[Point], start: int, stop: int) -> Carry:
    """The carry after points[start:stop]: the last state (with its reason), the last
    counters, the last time seen; found from the end, not by stepping through every point."""
    if stop <= start:
        return c
    state = next((p for p in reversed(points[start:stop]) if p.state is not None), None)
    counters = next((p for p in reversed(points[start:stop]) if p.total is not None), None)
    return Carry(state.state if state else c.state, state.reason if state else c.reason, points[stop - 1].ts,
                 counters.total if counters else c.total, counters.good if counters else c.good)


def recompute_machine(s: Session, machine_id: int, days: set[date], now: datetime) -> set[date]:
    """Recompute the machine's intervals and MachineDay rows of `days` (up to today);
    returns the days recomputed."""
    machine = s.get(Machine, machine_id)
    tz = machine.factory.timezone
    today = cal.local_day(now, tz)
    days = sorted(d for d in days if d <= today)
    if not days:
        return set()
    calendar = factory_calendar(s, machine.factory)
    ideal_ms = s.scalar(select(MachineProfile.ideal_cycle_ms).where(MachineProfile.machine_id == machine_id))
    first_lo, last_hi = cal.day_bounds(days[0], tz)[0], cal.day_bounds(days[-1], tz)[1]
    carry = _carry_before(s, machine_id, first_lo)
    points = _points(s, machine_id, first_lo, last_hi)
    booked = [(a, b) for a, b in s.execute(select(CapacityWindow.start_at, CapacityWindow.end_at).where(
        CapacityWindow.machine_id == machine_id, CapacityWindow.status == "booked",
        CapacityWindow.start_at < last_hi, CapacityWindow.end_at > first_lo))]
    existing = {row.day: row for row in s.scalars(select(MachineDay).where(
        MachineDay.machine_id == machine_id, MachineDay.day.in_(days)))}
    s.execute(delete(StateInterval).where(StateInterval.machine_id == machine_id, StateInterval.day.in_(days)))
    stamps = [p.ts for p in points]
    rows, idx, gap = [], 0, offline_after()
    for day in days:
        lo, hi = cal.day_bounds(day, tz)
        start = bisect_left(stamps, lo)
        carry = _carry_through(carry, points, idx, start)
        idx = bisect_left(stamps, hi)
        planned = (calendar.spans(day) if machine.status == "active" else []) + \
            [(max(a, lo), min(b, hi)) for a, b in booked if a < hi and b > lo]
        # with the reading at `hi` if any: its parts are this day's (the carry leaves it to the next)
        fig = machine_day(points[start:bisect_right(stamps, hi)], carry, lo, hi, now=now, planned=planned,
                          offline_after=gap)
        carry = _carry_through(carry, points, start, idx)
        values = dict(factory_id=machine.factory_id, planned_s=fig.planned_s, run_s=fig.run_s,
                      run_total_s=fig.run_total_s, seconds=fig.seconds, total=fig.total, good=fig.good,
                      ideal_work_ms=ideal_ms * fig.total if ideal_ms else None, computed_at=now)
        row = existing.get(day)
        if row is None:
            s.add(MachineDay(machine_id=machine_id, day=day, **values))
        else:
            for k, v in values.items():
                setattr(row, k, v)
        rows += [{"machine_id": machine_id, "factory_id": machine.factory_id, "day": day, "start_at": a, "end_at": b,
                  "state": st, "reason": r} for a, b, st, r in fig.intervals]
    if rows:
        s.execute(insert(StateInterval), rows)
    s.flush()
    return set(days)


def recompute_factory(s: Session, factory_id: int, days: set[date], now: datetime) -> list[FactoryDay]:
    """Sum the factory's MachineDays of `days` into FactoryDay rows."""
    if not days:
        return []
    sums: dict[date, dict] = defaultdict(lambda: dict(machines=0, planned_s=0, run_s=0, total=0, good=0,
                                                      ideal_work_ms=None, ideal_run_s=0))
    for md in s.scalars(select(MachineDay).where(MachineDay.factory_id == factory_id, MachineDay.day.in_(days))):
        acc = sums[md.day]
        acc["machines"] += 1
        for k in ("planned_s", "run_s", "total", "good"):
            acc[k] += getattr(md, k)
        if md.ideal_work_ms is not None:
            acc["ideal_work_ms"] = (acc["ideal_work_ms"] or 0) + md.ideal_work_ms
            acc["ideal_run_s"] += md.run_s
    existing = {row.day: row for row in s.scalars(select(FactoryDay).where(
        FactoryDay.factory_id == factory_id, FactoryDay.day.in_(days)))}
    out = []
    for day, values in sums.items():
        row = existing.get(day)
        if row is None:
            row = FactoryDay(factory_id=factory_id, day=day)
            s.add(row)
        for k, v in values.items():
            setattr(row, k, v)
        row.computed_at = now
        out.append(row)
    s.flush()
    return out


def payload(factory: Factory, row: FactoryDay) -> dict:
    """What a daily summary commits to (canonical JSON: integers and strings only)."""
    return {"factory": str(factory.public_id), "day": row.day.isoformat(), "timezone": factory.timezone,
            "machines": row.machines, "planned_s": row.planned_s, "run_s": row.run_s, "total": row.total,
            "good": row.good, "ideal_work_ms": row.ideal_work_ms, "ideal_run_s": row.ideal_run_s}


def machine_payload(factory: Factory, machine: Machine, row: MachineDay) -> dict:
    """What a machine's daily summary commits to: its seconds running (at any time, the
    metered run hours of a usage-priced contract), planned, down and idle, and its parts."""
    seconds = row.seconds or {}
    return {"machine": str(machine.public_id), "factory": str(factory.public_id), "day": row.day.isoformat(),
            "timezone": factory.timezone, "run_total_s": row.run_total_s, "planned_s": row.planned_s,
            "down_s": int(seconds.get("down", 0)), "idle_s": int(seconds.get("idle", 0)),
            "total": row.total, "good": row.good}


def _pending(rows, body_of, event_of) -> list[tuple]:
    """(row, body, salt, event) for each row whose committed payload differs from its figures:
    a first summary, or a correction naming the entry it corrects."""
    out = []
    for row in rows:
        body = body_of(row)
        if row.committed == body:
            continue
        salt = disclosure.new_salt()
        corrects = Correction(index=row.ledger_index, leaf_hash=row.ledger_leaf) if row.ledger_index is not None else None
        out.append((row, body, salt, event_of(row, disclosure.commit(body, salt), corrects)))
    return out


def summarize(s: Session, factory_id: int, now: datetime, recomputed: list[FactoryDay] = ()) -> int:
    """Append daily summaries (the factory's, and each machine's) for the factory's closed
    days that have none, and corrections for committed days whose figures changed. Call last
    before commit (holds the ledger lock). Returns how many events were appended."""
    factory = s.get(Factory, factory_id)
    org, fid, tz = str(factory.organization.public_id), str(factory.public_id), factory.timezone
    # a day closes once its midnight is an offline period past: devices have had time to report
    last_closed = cal.local_day(now - offline_after(), tz) - timedelta(days=1)
    rows = {r.id: r for r in s.scalars(select(FactoryDay).where(
        FactoryDay.factory_id == factory_id, FactoryDay.ledger_index.is_(None), FactoryDay.day <= last_closed))}
    rows.update({r.id: r for r in recomputed if r.day <= last_closed and r.ledger_index is not None})
    again = {r.day for r in recomputed if r.day <= last_closed and r.ledger_index is not None}
    machine_rows = {r.id: r for r in s.scalars(select(MachineDay).where(
        MachineDay.factory_id == factory_id, MachineDay.day <= last_closed,
        MachineDay.ledger_index.is_(None) | MachineDay.day.in_(again)))}
    machines = {m.id: m for m in s.scalars(select(Machine).where(
        Machine.id.in_({r.machine_id for r in machine_rows.values()})))}

    def end_of(day: date) -> datetime:
        return cal.day_bounds(day, tz)[1]

    pending = _pending(sorted(rows.values(), key=lambda r: r.day), lambda r: payload(factory, r),
                       lambda r, c, corr: events.daily_summary(org, fid, r.day.isoformat(), tz, end_of(r.day), c, corr))
    pending += _pending(sorted(machine_rows.values(), key=lambda r: (r.day, r.machine_id)),
                        lambda r: machine_payload(factory, machines[r.machine_id], r),
                        lambda r, c, corr: events.machine_day_summary(
                            org, fid, str(machines[r.machine_id].public_id), r.day.isoformat(), tz, end_of(r.day), c, corr))
    if not pending:
        return 0
    entries = record(s, *[p[3] for p in pending])
    for (row, body, salt, event), entry in zip(pending, entries):
        if row.ledger_index is not None:
            row.corrections += 1
        row.salt, row.committed, row.ledger_index, row.ledger_leaf = salt, body, entry.index, entry.leaf_hash.hex()
    return len(pending)


def affected_days(s: Session, machine_id: int, tz: str, stamps: list[datetime]) -> set[date]:
    """Local days of `stamps` (and the day before a stamp at local midnight, whose parts it
    reports), plus those of the first stored reading after the latest of them (its counters
    and state carry over from these)."""
    days = {d for t in stamps for d in cal.reporting_days(t, tz)}
    if stamps:
        after = s.scalar(select(Reading.ts).where(Reading.machine_id == machine_id, Reading.ts > max(stamps))
                         .order_by(Reading.ts).limit(1))
        if after is not None:
            days.update(cal.reporting_days(after, tz))
    return days

