"""Turn an order and the open capacity in the database into a scheduling.Problem.

Time becomes integer minutes from `epoch` (now, to the minute, UTC); windows are cut so
that nothing starts before a factory's lead time; each site carries its supplier quality
(market/catalog/quality.py) for the solver's quality term; only active machines that can do one of
the order's processes, at factories holding every required certification, are offered.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.catalog.models import CapacityWindow, Factory, Machine, MachineProcess
from market.orders.bom import is_plain_routing, waits_for
from market.catalog.quality import quality_of
from market.orders.models import Order
from scheduling import Job, Operation, PricingMode, Problem, Site, Window
from scheduling import Machine as SMachine

LOOK_PAST_DUE = timedelta(days=14)  # a late offer is still an offer; the buyer decides


@dataclass
class Built:
    problem: Problem
    epoch: datetime
    job_id: str
    # (machine id as str, window index) -> capacity_windows.id
    windows: dict[tuple[str, int], int] = field(default_factory=dict)

    def at(self, minutes: int) -> datetime:
        return self.epoch + timedelta(minutes=minutes)

    def pieces(self, a) -> list[tuple[int, int, int]]:
        """The (window id, start, end) slices an assignment occupies: one per window it
        runs in (a splittable operation pauses in the gaps between windows)."""
        machine = next(m for m in self.problem.machines if m.id == a.machine_id)
        out = []
        for index in range(a.first_window, a.last_window + 1):
            w = machine.windows[index]
            start, end = max(a.start, w.start), min(a.end, w.end)
            if end > start:
                out.append((self.windows[(a.machine_id, index)], start, end))
        return out


def job_value(order: Order) -> int | None:
    """The job value a percent_of_value window takes its share of — the one place this rule lives.

    It is the value of the finished parts (all pieces) that the buyer declares on the order
    (`declared_value_minor`), never the budget ceiling: a window at 800 bp prices a step at
    8 % of the declared value, rounded up to the minor unit, whatever the buyer would pay at
    most. An order that declares no value gets no percent_of_value offers (None: the solver
    leaves such windows out for it); there is nothing honest to take a percentage of."""
    return order.declared_value_minor


def percent_windows_left_out(built: "Built", order: Order) -> int:
    """How many percent_of_value windows the order could not use for lack of a declared value."""
    if job_value(order) is not None:
        return 0
    return sum(1 for m in built.problem.machines for w in m.windows if w.pricing is PricingMode.PERCENT_OF_VALUE)


def _minutes(moment: datetime, epoch: datetime) -> int:
    return int((moment - epoch).total_seconds() // 60)


def _cert_key(required) -> str:
    return "+".join(sorted(required))


def _eligible(process: str, required) -> str:
    """An operation needing certifications asks for a capability only certified sites have."""
    return f"{process}#{_cert_key(required)}" if required else process


def build(s: Session, orders: list[Order], now: datetime) -> Built:
    """One job per order (job id = the order's database id), all the open capacity that can
    serve them. Per-order certification needs become capabilities of certified sites."""
    epoch = now.replace(second=0, microsecond=0)
    processes = sorted({op.process_code for order in orders for op in order.operations})
    needs = {frozenset(order.required_certifications or ()) for order in orders} - {frozenset()}
    horizon_end = max(order.due_at for order in orders) + LOOK_PAST_DUE
    rows = s.execute(
        select(CapacityWindow, Machine.id, Factory)
        .join(Machine, Machine.id == CapacityWindow.machine_id)
        .join(Factory, Factory.id == CapacityWindow.factory_id)
        .where(CapacityWindow.status == "open", Machine.status == "active",
               CapacityWindow.end_at > now, CapacityWindow.start_at < horizon_end,
               CapacityWindow.machine_id.in_(select(MachineProcess.machine_id)
                                             .where(MachineProcess.process_code.in_(processes))))
        .order_by(CapacityWindow.machine_id, CapacityWindow.start_at)
    ).unique().all()
    caps = {mid: set() for _w, mid, _f in rows}
    for mid, code in s.execute(select(MachineProcess.machine_id, MachineProcess.process_code)
                               .where(MachineProcess.machine_id.in_(caps))):
        caps[mid].add(code)

    # the solver's quality term: each site's supplier quality as credit last scored it
    quality = quality_of(s, {factory.id for _w, _mid, factory in rows})
    sites: dict[int, Site] = {}
    per_machine: dict[int, list[tuple[Window, int]]] = {}
    site_of: dict[int, int] = {}
    certified: dict[int, set[str]] = {}
    for window, mid, factory in rows:
        start = max(window.start_at, now + timedelta(days=window.lead_time_days))
        a, b = -(-int((start - epoch).total_seconds()) // 60), _minutes(window.end_at, epoch)  # start rounded up
        if b <= a:
            continue
        sites.setdefault(factory.id, Site(str(factory.id), location=(factory.latitude, factory.longitude),
                                          quality=quality[factory.id]))
        site_of[mid] = factory.id
        certified[mid] = set(factory.certifications or ())
        per_machine.setdefault(mid, []).append(
            (Window(a, b, pricing=PricingMode(window.pricing_mode), price=window.price, min_lot=window.min_lot), window.id))

    built = Built(problem=None, epoch=epoch, job_id=str(orders[0].id))  # type: ignore[arg-type]
    machines = []
    for mid, items in per_machine.items():
        capabilities = set(caps[mid])
        for need in needs:
            if need <= certified[mid]:
                capabilities |= {_eligible(p, need) for p in caps[mid]}
        machines.append(SMachine(str(mid), str(site_of[mid]), frozenset(capabilities), tuple(w for w, _ in items)))
        for index, (_w, window_id) in enumerate(items):
            built.windows[(str(mid), index)] = window_id
    jobs = tuple(job_of(order, epoch) for order in orders)
    built.problem = Problem(tuple(sites.values()), tuple(machines), jobs, currency=orders[0].currency)
    return built


def job_of(order: Order, epoch: datetime) -> Job:
    """The order as the solver's job: its operations (a component's pieces per finished piece
    as the multiplier) and, for a product structure, the DAG of which operation waits for
    which (`after`, by index); a plain routing stays a chain (after=None)."""
    ops = order.operations
    after = None if is_plain_routing(ops) else tuple(tuple(seq - 1 for seq in w) for w in waits_for(ops))
    return Job(str(order.id), order.quantity,
               # a long operation may run over consecutive windows of one machine (night after night)
               tuple(Operation(_eligible(op.process_code, order.required_certifications or ()), op.setup_minutes,
                               op.run_minutes_per_unit, splittable=True, name=str(op.seq),
                               multiplier=op.quantity_per_parent) for op in ops),
               due=max(_minutes(order.due_at, epoch), 0), value=job_value(order), after=after)


# windows one operation may cross: up to eight night shifts in a row
CANDIDATES_MAX_SPAN = 8
