"""Re-plan a factory when machines go down: the bookings of every order that had work on
a down machine (and has not started it) move to the factory's machines that are up, with
the APS use of the engine (weighted tardiness first, then makespan).

Kept as they are: work already started, and every booking of orders untouched by the
breakdown (they become busy time). An order's slices at other factories bound the moved
ones: they may not start before the slice before them ends (release), and should end before
the slice after them starts (its due time; a miss is reported as late).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.catalog.models import CapacityWindow, Machine, MachineProcess
from market.orders.models import Order, QuoteLine
from scheduling import Busy, Job, Operation, PricingMode, Problem, Site, SolverParams, Window, schedule_shop
from scheduling import Machine as SMachine


def _minutes(moment: datetime, epoch: datetime) -> int:
    return int((moment - epoch).total_seconds() // 60)


def plan(s: Session, factory_id: int, down: set[int], now: datetime, time_limit_s: float) -> list[dict]:
    """Return the moves [{window_id, machine_id, start, end}] that re-plan the factory."""
    epoch = now.replace(second=0, microsecond=0)
    at = lambda m: epoch + timedelta(minutes=m)  # noqa: E731
    machines = list(s.scalars(select(Machine).where(Machine.factory_id == factory_id)))
    booked = list(s.scalars(select(CapacityWindow).where(
        CapacityWindow.factory_id == factory_id, CapacityWindow.status == "booked", CapacityWindow.end_at > now)))
    affected_orders = {w.booked_order_id for w in booked if w.machine_id in down and w.start_at >= now}
    movable = [w for w in booked if w.booked_order_id in affected_orders and w.start_at >= now]
    if not movable:
        return []
    fixed = [w for w in booked if w not in movable]
    lines = {line.window_id: line for line in s.scalars(select(QuoteLine).where(
        QuoteLine.window_id.in_([w.id for w in movable])))}
    caps = defaultdict(set)
    for mid, code in s.execute(select(MachineProcess.machine_id, MachineProcess.process_code)):
        caps[mid].add(code)

    up = [m for m in machines if m.id not in down and m.status == "active"]
    windows = {m.id: list(s.scalars(select(CapacityWindow).where(
        CapacityWindow.machine_id == m.id, CapacityWindow.end_at > now,
        CapacityWindow.status.in_(("open", "booked"))).order_by(CapacityWindow.start_at))) for m in up}
    smachines = []
    for m in up:
        # a movable booking's own slot is capacity again; other bookings are busy time
        usable = [w for w in windows[m.id] if w.status == "open" or w in movable]
        smachines.append(SMachine(str(m.id), str(factory_id), frozenset(caps[m.id]), tuple(
            Window(max(_minutes(w.start_at, epoch), 0), _minutes(w.end_at, epoch),
                   pricing=PricingMode(w.pricing_mode), price=w.price, min_lot=1) for w in usable)))
    busy = tuple(Busy(str(w.machine_id), max(_minutes(w.start_at, epoch), 0), _minutes(w.end_at, epoch), "booked")
                 for w in fixed if w.machine_id not in down)

    jobs, slices = [], {}
    for order_id in sorted(affected_orders):
        order = s.get(Order, order_id)
        mine = sorted((w for w in movable if w.booked_order_id == order_id), key=lambda w: lines[w.id].seq)
        elsewhere = list(s.scalars(select(CapacityWindow).where(
            CapacityWindow.booked_order_id == order_id, CapacityWindow.factory_id != factory_id)))
        first, last = lines[mine[0].id].seq, lines[mine[-1].id].seq
        seq_of = {w.id: line.seq for line in s.scalars(select(QuoteLine).where(
            QuoteLine.window_id.in_([w.id for w in elsewhere]))) for w in elsewhere if w.id == line.window_id}
        before = [w.end_at for w in elsewhere if seq_of.get(w.id, 0) < first]
        after = [w.start_at for w in elsewhere if seq_of.get(w.id, 10**6) > last]
        release = max([_minutes(t, epoch) for t in before] + [0])
        due = _minutes(min(after) if after else order.due_at, epoch)
        ops = tuple(Operation(lines[w.id].process_code, setup_minutes=_minutes(w.end_at, epoch) - _minutes(w.start_at, epoch),
                              name=str(w.id)) for w in mine)
        jobs.append(Job(str(order_id), order.quantity, ops, due=max(due, release + 1), release=release))
        slices.update({str(w.id): w for w in mine})
    problem = Problem((Site(str(factory_id)),), tuple(smachines), tuple(jobs), busy=busy)
    solution = schedule_shop(problem, params=SolverParams(time_limit_s=time_limit_s, workers=1, seed=0))
    if not solution.assignments:
        return [{"window_id": w.id, "machine_id": None, "start": None, "end": None} for w in movable]
    return [{"window_id": slices[a.op_name].id, "machine_id": int(a.machine_id), "start": at(a.start), "end": at(a.end)}
            for a in solution.assignments]
