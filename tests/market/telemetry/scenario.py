"""A messy week of two machines (late and out-of-order batches, a replay, a bad reading,
readings straddling midnight, a counter reset), and a snapshot of every aggregate it
produces, relative to its first local midnight so it compares across runs and days.

`known_aggregates.json` is this snapshot as the inline recompute (before the dirty-day
rollup existed, main at 048593c) produced it, one recompute per batch."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from tests.market.telemetry.conftest import iso, recent_midnight_shanghai


def day_readings(midnight: datetime, *, start_total: int = 1000) -> list[dict]:
    """A working day: setup at 08:00 local, running, a breakdown, a counter reset, off at 18:00."""
    t = midnight + timedelta(hours=8)
    total, good = start_total, start_total - 10
    out = [{"ts": iso(t), "state": "setup", "reason": "changeover", "total": total, "good": good}]
    t += timedelta(minutes=20)
    out.append({"ts": iso(t), "state": "running", "total": total, "good": good})
    for i in range(1, 60):
        t += timedelta(minutes=10)
        total, good = total + 9, good + 9 - (i % 7 == 0)
        r = {"ts": iso(t), "total": total, "good": good, "spindle_load": 40.0 + i % 30}
        if i == 20:
            r.update(state="down", reason="spindle_fault")
        if i == 26:
            r.update(state="running")
        if i == 40:
            total, good = 3, 3  # the counter was reset
            r.update(total=total, good=good)
        out.append(r)
    out.append({"ts": iso(t + timedelta(minutes=5)), "state": "offline", "reason": "off_shift"})
    return out


def batches(base: datetime) -> list[tuple[int, list]]:
    """(machine index, readings) in the order an unreliable edge network delivers them."""
    d0, d1, d2 = (day_readings(base + timedelta(days=k), start_total=1000 * (k + 1)) for k in range(3))
    night = base + timedelta(days=2)  # the midnight between d1 and d2
    straddle = [{"ts": iso(night - timedelta(minutes=50)), "state": "running", "total": 5000, "good": 4990},
                {"ts": iso(night - timedelta(minutes=10)), "total": 5030, "good": 5019},
                {"ts": iso(night + timedelta(minutes=30)), "state": "idle", "reason": "no_material",
                 "total": 5060, "good": 5048}]
    bad = {"ts": iso(base + timedelta(hours=12)), "state": "exploded"}
    return [
        (0, d0[:30]),
        (0, d2),
        (0, list(reversed(d0[30:])) + [bad]),  # the edge box comes back online, late and out of order
        (0, straddle),
        (1, d0 + d1),
        (0, d2),  # a retry of a batch already stored
        (0, d1[10:40]),  # a day filled in after the one following it
    ]


def base_midnight() -> datetime:
    return recent_midnight_shanghai(5)


def snapshot(app, plant, base: datetime) -> dict:
    """Every aggregate of the plant's factory: machine days, state intervals, factory days
    with the payload their ledger summary commits to, relative to `base`."""
    from market.catalog.models import Factory, Machine
    from market.db import unit_of_work
    from market.telemetry.models import FactoryDay, MachineDay, StateInterval

    def rel_day(d):
        return (d - (base + timedelta(hours=8)).date()).days

    def rel_s(t):
        return int((t - base).total_seconds())

    names = {uuid.UUID(m["id"]): m["name"] for m in plant["machines"]}
    with app.app_context(), unit_of_work() as s:
        factory = s.scalar(select(Factory).where(Factory.public_id == uuid.UUID(plant["factory"]["id"])))
        machine = {m.id: names[m.public_id] for m in s.scalars(select(Machine).where(Machine.factory_id == factory.id))}
        machine_days = sorted(
            [machine[r.machine_id], rel_day(r.day), r.planned_s, r.run_s, r.run_total_s, dict(sorted(r.seconds.items())),
             r.total, r.good, r.ideal_work_ms]
            for r in s.scalars(select(MachineDay).where(MachineDay.factory_id == factory.id)))
        intervals = sorted(
            [machine[r.machine_id], rel_day(r.day), rel_s(r.start_at), rel_s(r.end_at), r.state, r.reason]
            for r in s.scalars(select(StateInterval).where(StateInterval.factory_id == factory.id)))
        factory_days = sorted(
            [rel_day(r.day), r.machines, r.planned_s, r.run_s, r.total, r.good, r.ideal_work_ms, r.ideal_run_s,
             {k: v for k, v in (r.committed or {}).items() if k not in ("factory", "day")} or None,
             r.ledger_index is not None]
            for r in s.scalars(select(FactoryDay).where(FactoryDay.factory_id == factory.id)))
        corrections = sorted([rel_day(r.day), r.corrections]
                             for r in s.scalars(select(FactoryDay).where(FactoryDay.factory_id == factory.id)))
    return {"machine_days": machine_days, "intervals": intervals, "factory_days": factory_days,
            "corrections": corrections}
