"""The hot reads of the orders API (list and detail, the mixed load's busiest routes): plain
rows, not Order entities with their selectin graphs, and their JSON built here, not by
marshmallow field by field. Profiled (bench/api_cost.py --profile order_list): loading the
entity graph cost ~3/4 of a list call and dumping it most of the rest.

The output is exactly what `schemas.OrderOut` dumps from an entity (the OpenAPI document
still declares that schema; tests/market/test_order_reads.py compares the two on orders with
components, nulls and history, and the schema tests validate the responses). A field added
to OrderOut must be added here too: that test fails until it is.

Statements are built once per shape (operator or not, filtered by state or not) with the
viewer as a bind parameter, so a call pays for neither building nor cache-keying a new
expression tree."""
from __future__ import annotations

import functools
import uuid
from datetime import datetime

from sqlalchemy import bindparam, select

from market import errors, policy
from market.accounts.models import Organization
from market.auth import Actor
from market.db import unit_of_work
from market.orders.access import visible_to_org
from market.orders.bom import structure
from market.orders.models import Operation, Order, OrderEvent
from market.pagination import Order as Keys
from market.pagination import paginate

_ORDER_COLUMNS = (Order.id, Order.public_id, Order.buyer_org_id, Organization.name.label("buyer_name"), Order.title,
                  Order.part_number, Order.material, Order.quantity, Order.due_at, Order.budget_minor,
                  Order.declared_value_minor, Order.currency, Order.delivery_address, Order.delivery_latitude,
                  Order.delivery_longitude, Order.required_certifications, Order.state, Order.created_at,
                  Order.updated_at)


def _orders(operator: bool):
    stmt = select(*_ORDER_COLUMNS).join(Organization, Organization.id == Order.buyer_org_id)
    return stmt if operator else stmt.where(visible_to_org(bindparam("viewer")))


@functools.cache
def _list_statement(operator: bool, by_state: bool, since: bool):
    stmt = _orders(operator)
    if by_state:
        stmt = stmt.where(Order.state == bindparam("state"))
    if since:
        stmt = stmt.where(Order.updated_at >= bindparam("since", type_=Order.updated_at.type))
    return stmt


@functools.cache
def _count_statement(operator: bool, by_state: bool, since: bool):
    from sqlalchemy import func

    stmt = select(func.count(Order.id))
    if not operator:
        stmt = stmt.where(visible_to_org(bindparam("viewer")))
    if by_state:
        stmt = stmt.where(Order.state == bindparam("state"))
    if since:
        stmt = stmt.where(Order.updated_at >= bindparam("since", type_=Order.updated_at.type))
    return stmt


NEWEST_FIRST = Keys.of(Order.created_at.desc(), Order.id.desc())
OLDEST_CHANGE_FIRST = Keys.of(Order.updated_at, Order.id)  # updated_since: a sync's order


@functools.cache
def _detail_statement(operator: bool):
    return _orders(operator).where(Order.public_id == bindparam("public_id"))


_OPERATIONS = (select(Operation.order_id, Operation.seq, Operation.process_code, Operation.setup_minutes,
                      Operation.run_minutes_per_unit, Operation.tolerance, Operation.notes, Operation.component,
                      Operation.quantity_per_parent, Operation.component_material, Operation.after_seqs)
               .where(Operation.order_id.in_(bindparam("orders", expanding=True)))
               .order_by(Operation.order_id, Operation.seq))
_HISTORY = (select(OrderEvent.order_id, OrderEvent.from_state, OrderEvent.to_state, OrderEvent.note, OrderEvent.at)
            .where(OrderEvent.order_id.in_(bindparam("orders", expanding=True)))
            .order_by(OrderEvent.id))


def _iso(moment):
    return None if moment is None else moment.isoformat()


def _decimal(value):
    # fields.Decimal(as_string=True): format(Decimal(str(value)), "f")
    from decimal import Decimal

    return None if value is None else format(Decimal(str(value)), "f")


def _operation(op) -> dict:
    return {"seq": op.seq, "process_code": op.process_code, "setup_minutes": op.setup_minutes,
            "run_minutes_per_unit": _decimal(op.run_minutes_per_unit), "tolerance": op.tolerance, "notes": op.notes,
            "component": op.component, "after": op.after_seqs}


def _dump(row, operations: list, history: list, viewer: Actor) -> dict:
    """One order as OrderOut dumps it."""
    return {
        "id": str(row.public_id), "buyer": row.buyer_name, "title": row.title, "part_number": row.part_number,
        "material": row.material, "quantity": row.quantity, "due_at": _iso(row.due_at),
        "budget_minor": row.budget_minor if policy.sees_budget(viewer, row) else None,
        "declared_value_minor": row.declared_value_minor, "currency": row.currency,
        "delivery_address": row.delivery_address,
        "delivery_latitude": None if row.delivery_latitude is None else float(row.delivery_latitude),
        "delivery_longitude": None if row.delivery_longitude is None else float(row.delivery_longitude),
        "required_certifications": None if row.required_certifications is None
        else [str(c) for c in row.required_certifications],
        "state": row.state,
        "operations": [_operation(op) for op in operations],
        "components": [{"name": c.name, "quantity_per_parent": c.quantity_per_parent, "material": c.material,
                        "operations": list(c.seqs), "feeds": list(c.feeds)} for c in structure(operations)],
        "history": [{"from_state": e.from_state, "to_state": e.to_state, "note": e.note, "at": _iso(e.at)}
                    for e in history],
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
    }


def _dump_all(conn, rows, viewer: Actor) -> list[dict]:
    if not rows:
        return []
    ids = [r.id for r in rows]
    operations: dict[int, list] = {i: [] for i in ids}
    history: dict[int, list] = {i: [] for i in ids}
    for op in conn.execute(_OPERATIONS, {"orders": ids}):
        operations[op.order_id].append(op)
    for e in conn.execute(_HISTORY, {"orders": ids}):
        history[e.order_id].append(e)
    return [_dump(r, operations[r.id], history[r.id], viewer) for r in rows]


def order_page(actor: Actor, *, state: str | None = None, updated_since: datetime | None = None, page: int = 1,
               per_page: int = 20, cursor: str | None = None) -> dict:
    """GET /orders as page_schema(OrderOut) dumps services.list_orders' page; with
    `updated_since`, the orders changed since then, oldest change first."""
    shape = (actor.is_operator, bool(state), updated_since is not None)
    params = {"viewer": actor.org_id, "state": state, "since": updated_since}
    with unit_of_work() as s:
        conn = s.connection()
        shown = paginate(s, _list_statement(*shape).params(params), page, per_page, scalars=False,
                         count=_count_statement(*shape).params(params), cursor=cursor,
                         order=OLDEST_CHANGE_FIRST if updated_since is not None else NEWEST_FIRST)
        return shown.envelope(_dump_all(conn, shown.items, actor))


def order_detail(actor: Actor, public_id: uuid.UUID) -> dict:
    """GET /orders/<id> as OrderOut dumps services.get_order's order (404 alike)."""
    with unit_of_work() as s:
        conn = s.connection()
        row = conn.execute(_detail_statement(actor.is_operator), {"viewer": actor.org_id, "public_id": public_id}).first()
        if row is None:
            raise errors.NotFound(f"order {public_id} not found")
        return _dump_all(conn, [row], actor)[0]
