"""Production rules: who may record which step of a lot, in which order, and how the
order follows its lots (first lot started -> in production; all shipped -> shipped; all
received -> delivered). Every step appends its ledger event in the same transaction."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger.events import Correction
from ledger.hashing import leaf_hash

from market import bus, errors, policy
from market.auth import Actor
from market.catalog.models import Factory, Machine
from market.db import unit_of_work, utcnow, write_lock
from market.orders import history_notes
from market.orders.access import lot_orders, producing_orders
from market.orders.models import Order, Quote, QuoteLine
from market.orders.services import find_order, move
from market.orders.states import check_transition
from market.production import codes, events, requirements
from market.production import sampling_rules
from market.production.domain_events import LotStarted, OperationFinished, QcFailed
from market.production.models import Lot, LotOperation, QcResult
from market.production.routing import Routing
from market.journal.ledger import Batch, get_ledger
from market.pagination import Order as Keys
from market.pagination import Page, paginate, since


@dataclass
class Plan:
    """An order's accepted quote seen from the shop floor: which factories and machines do each step."""

    order: Order
    lines: dict[int, list[QuoteLine]]  # seq -> quote lines (an operation may be split)
    owners: dict[int, int]  # factory id -> organization id

    @property
    def last_seq(self) -> int:
        return max(self.lines)

    def factories(self, seq: int) -> set[int]:
        return {line.factory_id for line in self.lines[seq]}

    def makes(self, actor: Actor, seq: int) -> bool:
        return actor.is_operator or any(self.owners[f] == actor.org_id for f in self.factories(seq))

    def require(self, actor: Actor, seq: int, what: str) -> None:
        policy.require_line_factory(actor, self.factories(seq), self.owners, what)

    def factory_for(self, actor: Actor, seq: int) -> int:
        """The actor's factory among the step's (the first one for an operator)."""
        for line in self.lines[seq]:
            if actor.is_operator or self.owners[line.factory_id] == actor.org_id:
                return line.factory_id
        raise errors.refusal(errors.Forbidden, _l("only the factory the accepted quote placed this operation with may "
                                                "record it"))


def _plan(s: Session, order: Order) -> Plan:
    q = s.scalar(select(Quote).where(Quote.order_id == order.id, Quote.status == "accepted"))
    if q is None:
        raise errors.refusal(errors.Conflict, _l("this order has no accepted quote, so no factory has been placed to "
                                                 "make it"))
    lines: dict[int, list[QuoteLine]] = {}
    for line in q.lines:
        lines.setdefault(line.seq, []).append(line)
    owners = dict(s.execute(select(Factory.id, Factory.organization_id).where(Factory.id.in_(
        {line.factory_id for line in q.lines}))).all())
    return Plan(order, lines, owners)


def _lot(s: Session, actor: Actor, public_id: uuid.UUID, *, lock: bool = False) -> tuple[Lot, Order]:
    lot = s.scalar(select(Lot).where(Lot.public_id == public_id))
    if lot is None:
        raise errors.NotFound(f"lot {public_id} not found")
    order = s.scalar(select(Order).where(Order.id == lot.order_id, lot_orders(actor)))
    if order is None:
        raise errors.NotFound(f"lot {public_id} not found")
    if lock:
        s.execute(select(Order.id).where(Order.id == order.id).with_for_update())
        s.refresh(lot)
    return lot, order


def _step(lot: Lot, seq: int) -> LotOperation | None:
    return next((op for op in lot.operations if op.seq == seq), None)


# ---- lots ---------------------------------------------------------------------------

def commission_lot(actor: Actor, order_id: uuid.UUID, quantity: int | None = None) -> Lot:
    """Start a lot of the order (the whole remaining quantity by default)."""
    with unit_of_work() as s:
        write_lock(s)
        order = find_order(s, actor, order_id, lock=True)
        entries = Batch()
        lot = _commission(s, order, actor, quantity, entries)
        entries.record(s)
        s.commit()
        return _reload(s, lot)


def _commission(s: Session, order: Order, actor: Actor, quantity: int | None, entries: Batch, *,
                move_order: bool = True) -> Lot:
    if order.state not in ("accepted", "in_production"):
        raise errors.refusal(errors.Conflict, _l("lots are started on accepted orders only"),
                             detail=f"lots are started on accepted orders; this one is {order.state}")
    plan = _plan(s, order)
    first = _first_step_of(actor, plan, Routing.of(order))
    made = s.scalar(select(func.coalesce(func.sum(Lot.quantity), 0)).where(Lot.order_id == order.id))
    remaining = order.quantity - made
    if remaining <= 0:
        raise errors.refusal(errors.Conflict, _l("lots for all %(n)s pieces of this order have been started",
                                                  n=order.quantity))
    quantity = remaining if quantity is None else quantity
    if not 1 <= quantity <= remaining:
        raise errors.refusal(errors.Invalid, _l("a lot holds 1 to %(n)s pieces (the rest of the order)", n=remaining),
                             field="quantity")
    factory = s.get(Factory, plan.factory_for(actor, first))
    lot = Lot(order_id=order.id, trace_code=codes.new_code(), quantity=quantity, created_at=utcnow())
    s.add(lot)
    s.flush()
    entries.add(events.lot_commissioned(order, lot, factory), lot)
    if move_order and order.state == "accepted":
        check_transition(order.state, "in_production", "factory")
        move(s, order, actor, "in_production", history_notes.LOT_STARTED(code=codes.display(lot.trace_code)), entries)
    return lot


def _first_step_of(actor: Actor, plan: Plan, routing: Routing) -> int:
    """The first operation (of some component) the actor makes: whoever makes one may start a lot."""
    roots = [seq for seq in routing.roots() if seq in plan.lines]
    mine = [seq for seq in roots if plan.makes(actor, seq)]
    if not mine:
        plan.require(actor, roots[0], "a first operation")  # refused with the usual words
    return mine[0]


def _reload(s: Session, lot: Lot) -> Lot:
    s.refresh(lot)
    for qc in lot.qc_results:
        _loaded_qc(qc)
    lot.operations  # noqa: B018 - loaded before the session closes
    return lot


def _loaded_qc(qc: QcResult) -> QcResult:
    qc.corrects, qc.corrected_by  # noqa: B018 - loaded before the session closes
    return qc


def get_lot(actor: Actor, public_id: uuid.UUID) -> tuple[Lot, Order]:
    with unit_of_work() as s:
        lot, order = _lot(s, actor, public_id)
        return _reload(s, lot), order


def _lots_of(s: Session, actor: Actor, order_id: uuid.UUID):
    order = find_order(s, actor, order_id, graph=False)
    if s.scalar(select(Order.id).where(Order.id == order.id, lot_orders(actor))) is None:
        raise errors.NotFound(f"order {order_id} not found")
    return select(Lot).where(Lot.order_id == order.id)


FIRST_LOT_FIRST = Keys.of(Lot.id)
LOTS_BY_CHANGE = Keys.of(Lot.updated_at, Lot.id)


def lots_of(actor: Actor, order_id: uuid.UUID) -> list[Lot]:
    """The order's lots; not found unless the actor may read them (`orders.access.lot_orders`)."""
    with unit_of_work() as s:
        lots = list(s.scalars(_lots_of(s, actor, order_id).order_by(*FIRST_LOT_FIRST.clauses())))
        return [_reload(s, lot) for lot in lots]


def lot_page(actor: Actor, order_id: uuid.UUID, *, updated_since: datetime | None = None, page: int = 1,
             per_page: int = 20, cursor: str | None = None) -> Page[Lot]:
    """GET /orders/<id>/lots: first lot first; with `updated_since`, by (updated_at, id)."""
    with unit_of_work() as s:
        stmt, order = since(_lots_of(s, actor, order_id), Lot.updated_at, updated_since, changed=LOTS_BY_CHANGE,
                            otherwise=FIRST_LOT_FIRST)
        shown = paginate(s, stmt, page, per_page, cursor=cursor, order=order)
        shown.items = [_reload(s, lot) for lot in shown.items]
        return shown


def shown_lots(actor: Actor, order_id: uuid.UUID) -> list[Lot]:
    """The lots the order page lists: none for a viewer who may see the order but not its
    lots (a factory invited to quote that was not placed any work)."""
    try:
        return lots_of(actor, order_id)
    except errors.NotFound:
        return []


# ---- operations ---------------------------------------------------------------------

def start_operation(actor: Actor, lot_id: uuid.UUID, seq: int, machine_id: uuid.UUID | None = None) -> Lot:
    with unit_of_work() as s:
        lot, order, plan = _operation(s, actor, lot_id, seq)
        if _step(lot, seq) is not None:
            raise _already_started(seq)
        routing = Routing.of(order)
        routing.require_ready(seq, _finished(lot))
        first = not lot.operations  # the lot's first step: its production is under way
        factory_id = plan.factory_for(actor, seq)
        machine = _machine(s, plan, seq, factory_id, machine_id)
        step = LotOperation(lot_id=lot.id, seq=seq, process_code=plan.lines[seq][0].process_code,
                            factory_id=factory_id, machine_id=machine.id, started_at=utcnow())
        s.add(step)
        lot.updated_at = utcnow()  # the lot as the API shows it (its operations) changed: a sync must see it
        try:
            s.flush()
        except IntegrityError:  # a parallel start of the same step won the race
            raise _already_started(seq) from None
        s.refresh(step)
        entries = Batch()
        entries.add(events.operation_started(order, lot, step), step, "start_ledger_index")
        entries.record(s)
        if first:
            bus.publish(s, LotStarted(order.id, lot.id, seq, factory_id, actor.user_id))
        s.commit()
        return _reload(s, lot)


def _operation(s: Session, actor: Actor, lot_id: uuid.UUID, seq: int) -> tuple[Lot, Order, Plan]:
    """The locked lot, its order and plan, once the actor is known to make operation `seq`."""
    write_lock(s)
    lot, order = _lot(s, actor, lot_id, lock=True)
    _require_in_production(lot)
    plan = _plan(s, order)
    if seq not in plan.lines:
        raise errors.NotFound(f"this order has no operation {seq}")
    plan.require(actor, seq, f"operation {seq}")
    return lot, order, plan


def _machine(s: Session, plan: Plan, seq: int, factory_id: int, machine_id: uuid.UUID | None) -> Machine:
    """The booked machine, or another one of the same factory that can do the process."""
    if machine_id is None:
        line = next(line for line in plan.lines[seq] if line.factory_id == factory_id)
        return s.get(Machine, line.machine_id)
    machine = s.scalar(select(Machine).where(Machine.public_id == machine_id, Machine.factory_id == factory_id))
    process = plan.lines[seq][0].process_code
    if machine is None or process not in machine.processes:
        raise errors.refusal(errors.Invalid, _l("machine %(machine)s is not one of this factory's machines for "
                                                 "%(process)s", machine=machine_id, process=process), field="machine_id")
    return machine


def finish_operation(actor: Actor, lot_id: uuid.UUID, seq: int, good: int, rejected: int) -> Lot:
    with unit_of_work() as s:
        lot, order, plan = _operation(s, actor, lot_id, seq)
        step = _step(lot, seq)
        if step is None:
            raise errors.refusal(errors.Conflict, _l("operation %(seq)s of this lot has not started", seq=seq))
        if step.finished_at is not None:
            raise errors.refusal(errors.Conflict, _l("operation %(seq)s of this lot already finished", seq=seq))
        routing = Routing.of(order)
        arrived = routing.reaching(seq, lot.quantity, {op.seq: op.good for op in lot.operations if op.finished_at})
        if good + rejected < 1 or good + rejected > arrived:
            raise errors.refusal(errors.Invalid, _l("good + rejected must be 1 to %(n)s, the pieces that reached this "
                                                     "operation", n=arrived), field="good")
        step.good, step.rejected, step.finished_at = good, rejected, utcnow()
        lot.updated_at = utcnow()  # as above: the lot's operations are part of it
        entries = Batch()
        entries.add(events.operation_completed(order, lot, step), step, "finish_ledger_index")
        entries.record(s)
        following = {f for n in routing.successors(seq) if n in plan.lines for f in plan.factories(n)}
        bus.publish(s, OperationFinished(order.id, lot.id, seq, step.factory_id, good, rejected,
                                         tuple(sorted(following)), actor.user_id))
        s.commit()
        return _reload(s, lot)


def _already_started(seq: int) -> errors.DomainError:
    return errors.refusal(errors.Conflict, _l("operation %(seq)s of this lot was already started", seq=seq))


def _finished(lot: Lot) -> set[int]:
    return {op.seq for op in lot.operations if op.finished_at is not None}


def _require_in_production(lot: Lot) -> None:
    if lot.status != "in_production":
        raise errors.refusal(errors.Conflict, _l("production steps are recorded while the lot is in production"),
                             detail=f"this lot is {lot.status}; production steps are recorded while it is in production")


# ---- quality ------------------------------------------------------------------------

def record_qc(actor: Actor, lot_id: uuid.UUID, data: dict) -> QcResult:
    """An inspection after operation `operation_seq`, or the final one (seq omitted) once
    every operation has finished. A result of 'pass' with a measurement out of its limits
    is refused: the record would contradict itself."""
    with unit_of_work() as s:
        write_lock(s)
        lot, order = _lot(s, actor, lot_id, lock=True)
        _require_in_production(lot)
        plan = _plan(s, order)
        seq = data.get("operation_seq")
        corrected = _corrected(s, lot, data, seq) if data.get("corrects") else None
        if corrected is not None:
            seq = corrected.operation_seq
        if seq is None:
            plan.require(actor, plan.last_seq, "the final inspection")
            if any((_step(lot, n) is None or _step(lot, n).finished_at is None) for n in plan.lines):
                raise errors.refusal(errors.Conflict, _l("the final inspection comes after every operation has finished"))
            factory_id = plan.factory_for(actor, plan.last_seq)
        else:
            if seq not in plan.lines:
                raise errors.refusal(errors.Invalid, _l("this order has no operation %(seq)s", seq=seq), field="operation_seq")
            plan.require(actor, seq, f"the inspection of operation {seq}")
            if _step(lot, seq) is None or _step(lot, seq).finished_at is None:
                raise errors.refusal(errors.Conflict, _l("operation %(seq)s must finish before it is inspected", seq=seq))
            factory_id = plan.factory_for(actor, seq)
        measurements = [_measurement(m, i) for i, m in enumerate(data.get("measurements", []))]
        sampled = sampling_rules.judged(lot.quantity, data)  # the AQL plan decides the result when given
        result = sampled["result"] if sampled else data.get("result")
        if result is None:
            raise errors.refusal(errors.Invalid, _l("give the result, or a sampling plan's nonconforming count"),
                                 field="result")
        outside = [m["name"] for m in measurements if not _within(m)]
        if result == "pass" and outside:
            raise errors.refusal(errors.Invalid, _l("%(names)s out of limits: the lot cannot pass", names=", ".join(outside)),
                                 field="result")
        qc = QcResult(lot_id=lot.id, factory_id=factory_id, operation_seq=seq, result=result,
                      measurements=measurements, inspector=data["inspector"], recorded_at=utcnow(),
                      corrects_id=corrected.id if corrected else None,
                      sampling=sampled["sampling"] if sampled else None)
        s.add(qc)
        lot.updated_at = utcnow()  # as above: the lot's QC results are part of it
        s.flush()
        s.refresh(qc)
        entries = Batch()
        entries.add(events.qc_recorded(order, lot, qc, _correction(s, corrected)), qc)
        entries.record(s)
        if qc.result == "fail":
            bus.publish(s, QcFailed(order.id, lot.id, qc.id, seq, factory_id, actor.user_id))
        s.commit()
        s.refresh(qc)
        return _loaded_qc(qc)


def _corrected(s: Session, lot: Lot, data: dict, seq: int | None) -> QcResult:
    """The earlier inspection of this lot that a new one corrects (it stays on record)."""
    earlier = s.scalar(select(QcResult).where(QcResult.public_id == data["corrects"], QcResult.lot_id == lot.id))
    if earlier is None:
        raise errors.refusal(errors.Invalid, _l("no inspection of this lot has that id"), field="corrects")
    if earlier.corrected_by:
        raise errors.refusal(errors.Invalid, _l("that inspection was already corrected; correct the latest correction"),
                             field="corrects")
    if "operation_seq" in data and seq != earlier.operation_seq:
        raise errors.refusal(errors.Invalid, _l("a correction inspects the same operation as the record it corrects"),
                             field="operation_seq")
    return earlier


def _correction(s: Session, corrected: QcResult | None) -> Correction | None:
    """The ledger reference (index and leaf hash) of the entry being corrected."""
    if corrected is None or corrected.ledger_index is None:
        return None
    entry = get_ledger().store.entry(s.connection(), corrected.ledger_index)
    return Correction(corrected.ledger_index, leaf_hash(entry).hex())


def _measurement(m: dict, i: int) -> dict:
    """Values and limits stay decimal strings as measured (the ledger holds no floats)."""
    out = {"name": m["name"], "value": m["value"], "unit": m.get("unit", "")}
    for key in ("value", "lower", "upper"):
        if m.get(key) in (None, ""):
            continue
        try:
            number = Decimal(str(m[key]))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise errors.refusal(errors.Invalid, _l("measurement %(n)s: %(key)s must be a decimal number", n=i + 1, key=key),
                                 field=f"measurements.{i}.{key}")
        out[key] = str(m[key])
    return out


def _within(m: dict) -> bool:
    value = Decimal(m["value"])
    return ("lower" not in m or value >= Decimal(m["lower"])) and ("upper" not in m or value <= Decimal(m["upper"]))


# ---- shipment and delivery ----------------------------------------------------------

def ship_lot(actor: Actor, lot_id: uuid.UUID, carrier: str, tracking_ref: str = "") -> Lot:
    """The factory of the last operation ships a finished lot that passed its final
    inspection; when every piece of the order has shipped, the order is shipped."""
    with unit_of_work() as s:
        write_lock(s)
        lot, order = _lot(s, actor, lot_id, lock=True)
        _require_in_production(lot)
        plan = _plan(s, order)
        plan.require(actor, plan.last_seq, "the shipment")
        if any((_step(lot, n) is None or _step(lot, n).finished_at is None) for n in plan.lines):
            raise errors.refusal(errors.Conflict, _l("every operation of the lot must finish before it ships"))
        final = [qc for qc in lot.qc_results if qc.operation_seq is None]
        if not final or final[-1].result != "pass":
            raise errors.refusal(errors.Conflict, _l("the lot needs a passing final inspection before it ships"))
        requirements.require_for_shipment(s, order, lot)
        factory = s.get(Factory, plan.factory_for(actor, plan.last_seq))
        lot.status, lot.shipped_at, lot.shipped_by_factory_id = "shipped", utcnow(), factory.id
        lot.carrier, lot.tracking_ref = carrier, tracking_ref
        entries = Batch()
        entries.add(events.shipped(order, lot, factory), lot, "ship_ledger_index")
        s.flush()
        if order.state == "in_production" and _all_shipped(s, order):
            move(s, order, actor, "shipped", history_notes.EVERY_LOT_SHIPPED(), entries)
        entries.record(s)
        s.commit()
        return _reload(s, lot)


def _all_shipped(s: Session, order: Order) -> bool:
    lots = list(s.scalars(select(Lot).where(Lot.order_id == order.id)))
    return all(lot.status != "in_production" for lot in lots) and sum(lot.quantity for lot in lots) >= order.quantity


def confirm_delivery(actor: Actor, lot_id: uuid.UUID) -> Lot:
    """The buyer confirms a lot arrived; with the last lot the order is delivered."""
    with unit_of_work() as s:
        write_lock(s)
        lot, order = _lot(s, actor, lot_id, lock=True)
        policy.require_order_buyer(actor, order)
        if lot.status != "shipped":
            raise errors.refusal(errors.Conflict, _l("only a shipped lot can be confirmed as delivered"),
                                 detail=f"only a shipped lot can be confirmed as delivered; this one is {lot.status}")
        entries = Batch()
        _deliver(order, lot, entries)
        s.flush()
        remaining = s.scalar(select(func.count(Lot.id)).where(Lot.order_id == order.id, Lot.status != "delivered"))
        if order.state == "shipped" and remaining == 0:
            check_transition(order.state, "delivered", policy.party_of(actor, order))
            move(s, order, actor, "delivered", history_notes.EVERY_LOT_RECEIVED(), entries)
        entries.record(s)
        s.commit()
        return _reload(s, lot)


def _deliver(order: Order, lot: Lot, entries: Batch) -> None:
    lot.status, lot.delivered_at = "delivered", utcnow()
    entries.add(events.delivered(order, lot, order.buyer.public_id), lot, "delivery_ledger_index")


# ---- the order's own transitions ----------------------------------------------------

def before_order_moves(s: Session, order: Order, actor: Actor, target: str, entries: Batch) -> None:
    """Keep lots and order in step when a party moves the order itself (production.handlers,
    on `OrderMoveRequested`; the entries are the move's batch): starting
    production starts a lot; confirming delivery receives every shipped lot; 'shipped'
    follows the lots and cannot be claimed for an order with unshipped pieces."""
    if target == "in_production":
        _commission(s, order, actor, None, entries, move_order=False)
    elif target == "shipped":
        raise errors.refusal(errors.Conflict, _l("an order ships lot by lot: record each lot's shipment on its lot page "
                                                 "and the order follows"),
                             detail="an order ships lot by lot: record each lot's shipment "
                                    "(POST /api/v1/lots/{id}/shipment) and the order follows")
    elif target == "delivered":
        for lot in s.scalars(select(Lot).where(Lot.order_id == order.id, Lot.status == "shipped")):
            _deliver(order, lot, entries)


@dataclass(frozen=True)
class LotView:
    lot: Lot
    order: Order
    routing: list[tuple[int, str]]  # (seq, process) of the order
    my_seqs: set[int]  # operations the viewer's factories make
    is_buyer: bool
    ready: set[int]  # operations whose predecessors have all finished (the lot page offers "start")


def lot_view(actor: Actor, lot_id: uuid.UUID) -> LotView:
    """A lot with what the viewer's side does on it (the portal offers those forms)."""
    with unit_of_work() as s:
        lot, order = _lot(s, actor, lot_id)
        plan = _plan(s, order)
        mine = {seq for seq in plan.lines if plan.makes(actor, seq)}
        routing = [(op.seq, op.process_code) for op in order.operations]
        lot = _reload(s, lot)
        done = _finished(lot)
        ready = {seq for seq, before in Routing.of(order).waits.items() if all(n in done for n in before)}
        return LotView(lot, order, routing, mine, policy.is_order_buyer(actor, order), ready)


def may_commission(actor: Actor, order: Order) -> bool:
    """Whether the portal offers this factory 'start a lot' on the order."""
    if order.state not in ("accepted", "in_production") or policy.is_order_buyer(actor, order):
        return False
    with unit_of_work() as s:
        try:
            plan = _plan(s, order)
        except errors.Conflict:
            return False
        return any(plan.makes(actor, seq) for seq in Routing.of(order).roots() if seq in plan.lines)


def open_lots(actor: Actor, limit: int = 10) -> list[tuple[Lot, Order]]:
    """Lots not yet received on orders the actor makes (factory) or bought (buyer): the
    dashboard's work in progress and deliveries to confirm."""
    with unit_of_work() as s:
        mine = (Order.id.in_(producing_orders(actor)) if actor.org_kind == "factory"
                else Order.buyer_org_id == actor.org_id)
        rows = s.execute(select(Lot, Order).join(Order, Order.id == Lot.order_id)
                         .where(mine, Lot.status != "delivered").order_by(Lot.created_at.desc()).limit(limit)).all()
        for _, order in rows:
            order.operations  # noqa: B018 - loaded before the session closes
        return [(_reload(s, lot), order) for lot, order in rows]
