"""Orders (RFQs): posting, editing, the lifecycle, invitations, messages and attachments."""
from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, lazyload

from flask_babel import lazy_gettext as _l

from market.i18n import LABELS
from market import bus, errors, policy
from market.accounts.models import Organization
from market.auth import Actor
from market.catalog.models import CapacityWindow, Factory, Machine, MachineProcess
from market.catalog.services import check_certifications, check_processes
from market.db import unit_of_work, utcnow, write_lock
from market.orders import attachments as files
from market.orders import bom
from market.orders.access import producing_orders, visible_orders
from market.orders.reads import NEWEST_FIRST, OLDEST_CHANGE_FIRST
from market.orders.domain_events import MessagePosted, OrderMoveRequested, OrderMoving, QuoteRequested, actor_fields
from market.orders.models import Attachment, Message, Operation, Order, OrderEvent, QuoteRequest
from market.orders.states import allowed_targets, check_transition
from market.pagination import Order as Keys
from market.pagination import Page, paginate, since
from market.orders import ledger_events
from market.journal.ledger import Batch, record
from ledger.events import Event

EDITABLE_STATES = ("draft", "open")
MAX_OPERATIONS = 20


def find_order(s: Session, actor: Actor, public_id: uuid.UUID, *, lock: bool = False, graph: bool = True) -> Order:
    """The order as `actor` may see it, in session `s` (404 for anything else). `graph=False`
    for callers that check access and read the order's own columns only: its operations and
    history are then not loaded up front (two statements fewer; loaded on touch within `s`)."""
    stmt = select(Order).where(Order.public_id == public_id, visible_orders(actor))
    if not graph:
        stmt = stmt.options(lazyload(Order.operations), lazyload(Order.history))
    order = s.scalar(stmt.with_for_update(of=Order) if lock else stmt)
    if order is None:
        raise errors.NotFound(f"order {public_id} not found")
    return order


def _operations(raw: list[dict], components: list[dict] | None = None) -> list[Operation]:
    """The operation rows of an order, with its product structure (market/orders/bom.py)
    checked first: nothing is written when any of it is refused."""
    if not 1 <= len(raw) <= MAX_OPERATIONS:
        raise errors.refusal(errors.Invalid, _l("An order needs 1 to %(max)d operations, not %(n)d.", max=MAX_OPERATIONS,
                                                 n=len(raw)), field="operations",
                             detail=f"an order needs 1 to {MAX_OPERATIONS} operations, got {len(raw)}")
    check_processes([op["process_code"] for op in raw], field="operations")
    parts = bom.check(raw, components or [])
    rows = []
    for i, op in enumerate(raw):
        part = parts.get((op.get("component") or "").strip())
        rows.append(Operation(
            seq=i + 1, process_code=op["process_code"], setup_minutes=op["setup_minutes"],
            run_minutes_per_unit=Decimal(str(round(float(op["run_minutes_per_unit"]), 3))),
            tolerance=op.get("tolerance", ""), notes=op.get("notes", ""),
            component=part["name"] if part else "", quantity_per_parent=part["quantity_per_parent"] if part else 1,
            component_material=part.get("material", "") if part else "",
            after_seqs=list(op["after"]) if op.get("after") is not None else None))
    return rows


def _check_due(due_at) -> None:
    if due_at <= utcnow():
        raise errors.refusal(errors.Invalid, _l("The due date must be in the future."), field="due_at",
                             detail="due date must be in the future")


def _record(s: Session, order: Order, actor: Actor | None, frm: str | None, to: str, note: str = "") -> OrderEvent:
    row = OrderEvent(order_id=order.id, from_state=frm, to_state=to, note=note,
                     actor_org_id=actor.org_id if actor else None, actor_user_id=actor.user_id if actor else None)
    s.add(row)
    return row


def create_order(actor: Actor, data: dict) -> Order:
    policy.require_kind(actor, "buyer")
    data = dict(data)
    submit = data.pop("submit", False)
    operations = _operations(data.pop("operations"), data.pop("components", []))
    data["required_certifications"] = check_certifications(data.get("required_certifications", []),
                                                           field="required_certifications")
    _check_due(data["due_at"])
    with unit_of_work() as s:
        order = Order(buyer_org_id=actor.org_id, created_by_id=actor.user_id, state="draft", **data)
        order.operations = operations
        s.add(order)
        s.flush()
        created = _record(s, order, actor, None, "draft")
        if submit:
            order.state = "open"
            _record(s, order, actor, "draft", "open")
        # the creation's row keeps the order.posted entry: a lender's evidence proves the order by it
        created.ledger_index = record(s, ledger_events.order_posted(order, actor.org_public_id))[0].index
        s.commit()
        return _reload(s, order)


def _reload(s: Session, order: Order) -> Order:
    s.refresh(order)
    order.operations, order.history  # noqa: B018 - loaded before the session closes
    return order


def update_order(actor: Actor, public_id: uuid.UUID, data: dict) -> Order:
    data = dict(data)
    with unit_of_work() as s:
        order = find_order(s, actor, public_id, lock=True)
        policy.require_order_buyer(actor, order)
        if order.state not in EDITABLE_STATES:
            raise errors.refusal(errors.Conflict, _l("An order can be edited only while it is a draft or open; it is %(state)s.",
                                                     state=LABELS.get(order.state, order.state)),
                                 detail=f"an order can be edited only while {' or '.join(EDITABLE_STATES)}; it is {order.state}")
        if "components" in data and "operations" not in data:
            raise errors.Invalid("send the operations with the components: together they are the product's structure",
                                 field="components")
        if "operations" in data:
            order.operations = _operations(data.pop("operations"), data.pop("components", []))
        if "required_certifications" in data:
            data["required_certifications"] = check_certifications(data["required_certifications"],
                                                                   field="required_certifications")
        if "due_at" in data:
            _check_due(data["due_at"])
        for key, value in data.items():
            setattr(order, key, value)
        s.commit()
        return _reload(s, order)


def transition(actor: Actor, public_id: uuid.UUID, target: str, note: str = "") -> Order:
    with unit_of_work() as s:
        write_lock(s)
        order = find_order(s, actor, public_id, lock=True)
        check_transition(order.state, target, policy.party_of(actor, order))
        # the batch is reachable through the session (the event carries ids only): production's
        # handler adds its lot entries to it, and they are appended with the order's own entry,
        # last and together, while the ledger lock is held until the commit
        entries = Batch.open(s)
        bus.publish(s, OrderMoveRequested(order.id, order.state, target, note, actor_fields(actor)))  # may refuse
        move(s, order, actor, target, note, entries)
        entries.record(s)
        s.commit()
        return _reload(s, order)


def move(s: Session, order: Order, actor: Actor | None, target: str, note: str = "", entries: Batch | None = None,
         *, quote_id: int | None = None) -> Event:
    """The one place an order changes state (the caller checked the move is allowed):
    `OrderMoving` to the domains above (payments may refuse it), history row and new state;
    returns the ledger event for the caller to record. Given `entries`, the event is added
    to them and the history row keeps its ledger index. `actor` None is the platform itself
    (quotes ready, quotes lapsed): the event is the buyer's. `quote_id`: the quote whose
    acceptance makes this move."""
    bus.publish(s, OrderMoving(order.id, order.state, target, note, actor_fields(actor), quote_id))  # may refuse
    org = actor.org_public_id if actor else order.buyer.public_id
    event = ledger_events.order_state_changed(order, org, order.state, target)
    row = _record(s, order, actor, order.state, target, note)
    order.state = target
    if target == "cancelled":  # an order that will never run holds no capacity
        s.execute(update(CapacityWindow).where(CapacityWindow.booked_order_id == order.id,
                                               CapacityWindow.status == "booked")
                  .values(status="open", booked_order_id=None))
    if entries is not None:
        entries.add(event, row)
    return event


def repost(s: Session, order: Order, actor: Actor, note: str) -> Order:
    """A new open order with `order`'s parts, operations and terms, in session `s` (the
    caller commits): the buyer asks the market again for the same job."""
    copy = Order(buyer_org_id=order.buyer_org_id, created_by_id=actor.user_id, state="open",
                 **{k: getattr(order, k) for k in ("title", "part_number", "material", "quantity", "due_at",
                                                   "budget_minor", "declared_value_minor", "currency", "delivery_address",
                                                   "delivery_latitude", "delivery_longitude")},
                 required_certifications=list(order.required_certifications or ()))
    copy.operations = [Operation(seq=op.seq, process_code=op.process_code, setup_minutes=op.setup_minutes,
                                 run_minutes_per_unit=op.run_minutes_per_unit, tolerance=op.tolerance, notes=op.notes)
                       for op in order.operations]
    s.add(copy)
    s.flush()
    created = _record(s, copy, actor, None, "open", note)
    created.ledger_index = record(s, ledger_events.order_posted(copy, actor.org_public_id))[0].index
    return copy


def get_order(actor: Actor, public_id: uuid.UUID) -> Order:
    with unit_of_work() as s:
        return find_order(s, actor, public_id)  # operations and history come eagerly (selectin)


def next_states(actor: Actor, order: Order) -> list[str]:
    return allowed_targets(order.state, policy.party_of(actor, order))


def list_orders(actor: Actor, *, state: str | None = None, updated_since: datetime | None = None, page: int = 1,
                per_page: int = 20, cursor: str | None = None) -> Page[Order]:
    """The entity twin of reads.order_page (the portal's list; the test of the API's reads)."""
    with unit_of_work() as s:
        stmt = select(Order).where(visible_orders(actor))
        if state:
            stmt = stmt.where(Order.state == state)
        stmt, order = since(stmt, Order.updated_at, updated_since, changed=OLDEST_CHANGE_FIRST, otherwise=NEWEST_FIRST)
        return paginate(s, stmt, page, per_page, cursor=cursor, order=order)


def producing_order_choices(actor: Actor, *, states: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    """The orders the actor's factories make a part of (optionally only in `states`), newest
    first, as a form's picker offers them: (public id, "title · part number"); never an id to type."""
    with unit_of_work() as s:
        stmt = select(Order).where(Order.id.in_(producing_orders(actor))).order_by(Order.created_at.desc(), Order.id.desc())
        if states:
            stmt = stmt.where(Order.state.in_(states))
        return [(str(o.public_id), f"{o.title} · {o.part_number}" if o.part_number else o.title)
                for o in s.scalars(stmt.limit(500))]


def order_board(actor: Actor, *, page: int = 1, per_page: int = 20, cursor: str | None = None) -> Page[Order]:
    """Open orders with at least one operation this factory's active machines can do."""
    policy.require_kind(actor, "factory")
    with unit_of_work() as s:
        my_processes = (
            select(MachineProcess.process_code)
            .join(Machine, Machine.id == MachineProcess.machine_id)
            .join(Factory, Factory.id == Machine.factory_id)
            .where(Machine.status == "active")
        )
        if not actor.is_operator:
            my_processes = my_processes.where(Factory.organization_id == actor.org_id)
        fits = exists().where(Operation.order_id == Order.id, Operation.process_code.in_(my_processes))
        stmt = select(Order).where(Order.state.in_(("open", "quoted")), fits)
        return paginate(s, stmt, page, per_page, cursor=cursor, order=Keys.of(Order.due_at, Order.id))


def board_order(actor: Actor, public_id: uuid.UUID) -> Order:
    """An open order as a factory browsing the board sees it (no drawings, no thread)."""
    policy.require_kind(actor, "factory")
    with unit_of_work() as s:
        order = s.scalar(select(Order).where(Order.public_id == public_id, Order.state.in_(("open", "quoted"))))
        if order is None:
            raise errors.NotFound(f"order {public_id} not found")
        return _reload(s, order)


def invite_factory(actor: Actor, public_id: uuid.UUID, factory_id: uuid.UUID | None) -> Organization:
    """Ask the factory's organization to quote; returns that organization."""
    with unit_of_work() as s:
        order = find_order(s, actor, public_id, lock=True)
        policy.require_order_buyer(actor, order)
        if order.state not in ("open", "quoted"):
            raise errors.refusal(errors.Conflict, _l("Quotes can be requested only on open orders; this one is %(state)s.",
                                                     state=LABELS.get(order.state, order.state)),
                                 detail=f"quotes can be requested only on open orders; this one is {order.state}")
        factory = s.scalar(select(Factory).where(Factory.public_id == factory_id)) if factory_id else None
        if factory is None:
            raise errors.refusal(errors.Invalid, _l("No such factory."), field="factory_id", detail=f"factory {factory_id} not found")
        if s.get(QuoteRequest, (order.id, factory.organization_id)) is None:
            s.add(QuoteRequest(order_id=order.id, factory_org_id=factory.organization_id))
            record(s, ledger_events.quote_requested(order, actor.org_public_id, factory.organization.public_id))
            bus.publish(s, QuoteRequested(order.id, factory.organization_id, actor.user_id))
            s.commit()
        return factory.organization


def invited_factories(actor: Actor, public_id: uuid.UUID) -> list[Organization]:
    with unit_of_work() as s:
        order = find_order(s, actor, public_id, graph=False)
        return [r.factory_org for r in s.scalars(select(QuoteRequest).where(QuoteRequest.order_id == order.id))]


# --- thread and attachments ----------------------------------------------------------------

def post_message(actor: Actor, public_id: uuid.UUID, body: str, uploads: list = ()) -> Message:
    """A message with optional attachments; all written or nothing (files removed on failure)."""
    if not body.strip() and not uploads:
        raise errors.refusal(errors.Invalid, _l("A message needs text or an attachment."), field="body",
                             detail="a message needs text or an attachment")
    stored = []
    try:
        with unit_of_work() as s:
            order = find_order(s, actor, public_id)
            stored = [files.store(u.filename, u.stream) for u in uploads]
            message = Message(order_id=order.id, author_org_id=actor.org_id, author_user_id=actor.user_id, body=body.strip())
            s.add(message)
            s.flush()
            for f in stored:
                s.add(Attachment(order_id=order.id, message_id=message.id, uploaded_by_org_id=actor.org_id, **f.__dict__))
            bus.publish(s, MessagePosted(order.id, message.id, actor.org_id, actor.user_id))
            s.commit()
            s.refresh(message)
            message.attachments  # noqa: B018
            return message
    except Exception:
        for f in stored:
            files.discard(f.storage_key)
        raise


def list_messages(actor: Actor, public_id: uuid.UUID) -> list[Message]:
    with unit_of_work() as s:
        order = find_order(s, actor, public_id, graph=False)
        return list(s.scalars(select(Message).where(Message.order_id == order.id).order_by(Message.id)))


def add_attachment(actor: Actor, public_id: uuid.UUID, upload) -> Attachment:
    with unit_of_work() as s:
        order = find_order(s, actor, public_id)
        policy.require_order_buyer(actor, order)
        with files.stored(upload) as kept:
            attachment = Attachment(order_id=order.id, uploaded_by_org_id=actor.org_id, **kept.__dict__)
            s.add(attachment)
            s.commit()
        return attachment


def list_attachments(actor: Actor, public_id: uuid.UUID) -> list[Attachment]:
    with unit_of_work() as s:
        order = find_order(s, actor, public_id, graph=False)
        return list(s.scalars(select(Attachment).where(Attachment.order_id == order.id).order_by(Attachment.id)))


def get_attachment(actor: Actor, attachment_id: uuid.UUID) -> Attachment:
    """Visible to the buyer and to factories invited to quote (the order's visibility rule)."""
    with unit_of_work() as s:
        attachment = s.scalar(
            select(Attachment).join(Order, Order.id == Attachment.order_id)
            .where(Attachment.public_id == attachment_id, visible_orders(actor)))
        if attachment is None:
            raise errors.NotFound(f"attachment {attachment_id} not found")
        return attachment


def get_order_by_id(actor: Actor, order_id: int) -> Order:
    """The order behind an internal id the caller already reached through a scoped lookup."""
    with unit_of_work() as s:
        order = s.scalar(select(Order).where(Order.id == order_id, visible_orders(actor)))
        if order is None:
            raise errors.NotFound("order not found")
        return order
