"""Material lots and consumption: a factory records the material it holds (bought itself, or
supplied by a buyer for one order), then consumes material lots, or lots of parts it made or
received, into its part lots. Each step is a ledger entry in the same transaction; nothing is
consumed twice (a conditional UPDATE, with a CHECK constraint behind it)."""
from __future__ import annotations

import uuid
from contextlib import nullcontext
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, true, update
from sqlalchemy.orm import Session

from ledger.disclosure import new_salt

from market import errors, policy
from market.auth import Actor
from market.catalog.access import own_factories
from market.catalog.models import Factory
from market.db import unit_of_work, utcnow, write_lock
from market.journal.ledger import Batch
from market.orders import attachments as files
from market.orders.access import lot_orders, producing_orders
from market.orders.models import Order
from market.production import codes, documents, material_events, quantities
from market.production.holdings import consuming_factory, find_material_lot
from market.production.material_models import LotInput, MaterialLot
from market.production.models import Lot
from market.production.services import _lot, _plan


def _own_factory(s: Session, actor: Actor, factory_id: uuid.UUID | None) -> Factory:
    """The named factory of the actor's organization, or its first one."""
    stmt = select(Factory).where(own_factories(actor))
    stmt = stmt.where(Factory.public_id == factory_id) if factory_id else stmt.order_by(Factory.id)
    factory = s.scalars(stmt).first()
    if factory is None:
        raise errors.refusal(errors.Invalid, _l("no factory of yours has that id") if factory_id
                             else _l("register a factory before recording material"), field="factory_id")
    return factory


def record_material_lot(actor: Actor, data: dict, certificate=None) -> MaterialLot:
    """A material lot the factory now holds, with its mill certificate when one is uploaded
    (a `material_cert` document of the lot, hashed onto the ledger with it)."""
    policy.require_kind(actor, "factory")
    quantity = quantities.parse(data["quantity"])
    if quantity is None:
        raise errors.refusal(errors.Invalid, _l("a positive decimal with at most 3 decimals"), field="quantity")
    with unit_of_work() as s:
        write_lock(s)
        factory = _own_factory(s, actor, data.get("factory_id"))
        order = None
        if data["source"] == "buyer_supplied":
            order = _supplied_order(s, actor, data.get("order_id"))
        elif data.get("order_id"):
            raise errors.refusal(errors.Invalid, _l("only buyer-supplied material is tied to an order"), field="order_id")
        m = MaterialLot(factory_id=factory.id, order_id=order.id if order else None, source=data["source"],
                        material=data["material"], grade=data.get("grade", ""), heat_number=data["heat_number"],
                        supplier=data.get("supplier", ""), unit=data["unit"], quantity_milli=quantity,
                        remaining_milli=quantity, received_at=utcnow(), salt=new_salt())
        s.add(m)
        s.flush()
        s.refresh(m)
        entries = Batch()
        entries.add(material_events.material_received(m, str(order.public_id) if order else None), m)
        with files.stored(certificate) if certificate is not None else nullcontext() as kept:
            if kept is not None:
                documents.add_document(s, entries, kept, kind="material_cert", public=bool(data.get("public_cert")),
                                       factory=factory, material_lot=m)
            entries.record(s)
            s.commit()
        return _loaded(s, m)


def _supplied_order(s: Session, actor: Actor, order_id: uuid.UUID | None) -> Order:
    """Buyer-supplied material arrives for an order the factory makes a part of."""
    if not order_id:
        raise errors.refusal(errors.Invalid, _l("buyer-supplied material names the order it was supplied for"),
                             field="order_id")
    order = s.scalar(select(Order).where(Order.public_id == order_id, Order.id.in_(producing_orders(actor))))
    if order is None and not actor.is_operator:
        raise errors.refusal(errors.Invalid, _l("no order you make has that id"), field="order_id")
    return order or s.scalar(select(Order).where(Order.public_id == order_id))


def _loaded(s: Session, m: MaterialLot) -> MaterialLot:
    s.refresh(m)
    m.documents, m.factory  # noqa: B018 - loaded before the session closes
    return m


def material_lots(actor: Actor) -> list[MaterialLot]:
    """The material lots the actor's factories hold, newest first."""
    with unit_of_work() as s:
        rows = s.scalars(select(MaterialLot).join(Factory, Factory.id == MaterialLot.factory_id)
                         .where(own_factories(actor)).order_by(MaterialLot.id.desc()))
        return [_loaded(s, m) for m in rows]


def get_material_lot(actor: Actor, public_id: uuid.UUID) -> MaterialLot:
    with unit_of_work() as s:
        return _loaded(s, find_material_lot(s, actor, public_id))


# ---- consumption --------------------------------------------------------------------

def consume(actor: Actor, lot_id: uuid.UUID, data: dict) -> LotInput:
    """Record that `data`'s material lot (a `quantity` of its unit) or part lot (`pieces`) went
    into lot `lot_id`. More than what remains is refused (422, field `quantity`/`pieces`)."""
    with unit_of_work() as s:
        write_lock(s)
        lot, order = _lot(s, actor, lot_id, lock=True)
        if lot.status != "in_production":
            raise errors.refusal(errors.Conflict, _l("only a lot in production consumes material"),
                                 detail=f"only a lot in production consumes material; this one is {lot.status}")
        factory = s.get(Factory, consuming_factory(actor, _plan(s, order)))
        entries = Batch()
        if data.get("material_lot_id"):
            item = _take_material(s, actor, lot, data)
            m = s.get(MaterialLot, item.material_lot_id)
            ref, unit = {"materialLot": str(m.public_id)}, m.unit
        else:
            item = _take_pieces(s, actor, lot, data)
            source = s.get(Lot, item.input_lot_id)
            ref, unit = {"lot": str(source.public_id), "traceCode": source.trace_code}, None
        item.factory_id, item.recorded_at, item.salt = factory.id, utcnow(), new_salt()
        s.add(item)
        s.flush()
        entries.add(material_events.lot_consumed(order, lot, factory, item, ref, unit), item)
        entries.record(s)
        s.commit()
        s.refresh(item)
        item.material_lot  # noqa: B018 - loaded before the session closes
        return item


def _take_material(s: Session, actor: Actor, lot: Lot, data: dict) -> LotInput:
    m = s.scalar(select(MaterialLot).join(Factory, Factory.id == MaterialLot.factory_id).where(
        MaterialLot.public_id == data["material_lot_id"], own_factories(actor)))
    if m is None:
        raise errors.refusal(errors.Invalid, _l("no material lot of yours has that id"), field="material_lot_id")
    if m.order_id is not None and m.order_id != lot.order_id:
        raise errors.refusal(errors.Invalid, _l("this material was supplied by a buyer for another order"),
                             field="material_lot_id")
    quantity = quantities.parse(data.get("quantity", ""))
    if quantity is None:
        raise errors.refusal(errors.Invalid, _l("a positive decimal with at most 3 decimals"), field="quantity")
    # one statement decides and takes: a parallel consumption waits for the row and re-checks
    taken = s.execute(update(MaterialLot).where(MaterialLot.id == m.id, MaterialLot.remaining_milli >= quantity)
                      .values(remaining_milli=MaterialLot.remaining_milli - quantity)).rowcount
    if taken != 1:
        s.refresh(m)
        raise errors.refusal(errors.Invalid, _l("only %(left)s %(unit)s of material lot %(heat)s remain",
                                                 left=quantities.display(m.remaining_milli), unit=m.unit,
                                                 heat=m.heat_number), field="quantity")
    return LotInput(lot_id=lot.id, material_lot_id=m.id, quantity_milli=quantity)


def _take_pieces(s: Session, actor: Actor, lot: Lot, data: dict) -> LotInput:
    """Pieces of a lot the actor made (a component) or received (a supplier's or a sub-tier's
    shipped lot of an order it bought)."""
    source = _input_lot(s, actor, data)
    if source is None:
        raise errors.refusal(errors.Invalid, _l("no lot you made or received has that id or trace code"),
                             field="input_lot")
    if source.id == lot.id or lot.id in contained_lot_ids(s, source.id):
        raise errors.refusal(errors.Invalid, _l("a lot cannot contain itself"), field="input_lot")
    pieces = data.get("pieces")
    if not isinstance(pieces, int) or pieces < 1:
        raise errors.refusal(errors.Invalid, _l("at least 1 piece"), field="pieces")
    taken = s.execute(update(Lot).where(Lot.id == source.id, Lot.consumed_pieces + pieces <= Lot.quantity)
                      .values(consumed_pieces=Lot.consumed_pieces + pieces)).rowcount
    if taken != 1:
        s.refresh(source)
        raise errors.refusal(errors.Invalid, _l("only %(n)s pieces of lot %(code)s remain",
                                                 n=source.quantity - source.consumed_pieces,
                                                 code=codes.display(source.trace_code)), field="pieces")
    return LotInput(lot_id=lot.id, input_lot_id=source.id, pieces=pieces)


def _input_lot(s: Session, actor: Actor, data: dict) -> Lot | None:
    text = str(data.get("input_lot", ""))
    try:
        match = Lot.public_id == uuid.UUID(text)
    except ValueError:
        code = codes.normalize(text)
        if code is None:
            return None
        match = Lot.trace_code == code
    made = Lot.order_id.in_(producing_orders(actor))
    received = Lot.order_id.in_(select(Order.id).where(Order.buyer_org_id == actor.org_id)) & Lot.status.in_(
        ("shipped", "delivered"))
    return s.scalar(select(Lot).join(Order, Order.id == Lot.order_id).where(
        match, lot_orders(actor), true() if actor.is_operator else (made | received)))


def contained_lot_ids(s: Session, lot_id: int) -> set[int]:
    """Every part lot that went into `lot_id`, at any depth."""
    seen: set[int] = set()
    frontier = {lot_id}
    while frontier:
        rows = set(s.scalars(select(LotInput.input_lot_id).where(LotInput.lot_id.in_(frontier),
                                                                  LotInput.input_lot_id.is_not(None))))
        frontier = rows - seen
        seen |= rows
    return seen


@dataclass(frozen=True)
class InputView:
    input: LotInput
    material: MaterialLot | None
    source_lot: Lot | None


def inputs_of(actor: Actor, lot_id: uuid.UUID) -> list[InputView]:
    """What went into a lot, as its parties see it (the private quantities included)."""
    with unit_of_work() as s:
        lot, _ = _lot(s, actor, lot_id)
        rows = list(s.scalars(select(LotInput).where(LotInput.lot_id == lot.id).order_by(LotInput.id)))
        return [InputView(i, i.material_lot, s.get(Lot, i.input_lot_id) if i.input_lot_id else None) for i in rows]
