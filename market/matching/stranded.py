"""Work stranded by a failed re-plan: booked on a machine that went down, with no other
machine of the factory to take it. Who sees it (banners) and the buyer's way out (re-quote)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from flask_babel import lazy_gettext as _l

from market.i18n import LABELS
from market import errors, policy
from market.auth import Actor
from market.catalog.access import own_windows
from market.catalog.models import CapacityWindow, Machine
from market.db import unit_of_work, utcnow, write_lock
from market.matching.models import SolveJob
from market.matching.services import request_quotes
from market.orders import history_notes
from market.orders.models import Order, QuoteLine
from market.orders.services import find_order, move, repost
from market.orders.states import check_transition
from market.journal.ledger import record


@dataclass(frozen=True)
class StrandedWork:
    """Booked, unfinished work on a machine that is not running (maintenance or retired):
    a re-plan could not move it. Shown as a banner until the machine is back or the work moves."""

    order_id: uuid.UUID
    order_title: str
    seq: int | None
    machine: str
    machine_status: str
    factory: str
    start_at: datetime
    end_at: datetime


def stranded_work(actor: Actor, order_id: uuid.UUID | None = None) -> list[StrandedWork]:
    """Stranded work of one order the actor may see, or (no `order_id`) on the actor's own
    factories' machines (operators: everywhere)."""
    with unit_of_work() as s:
        stmt = (select(CapacityWindow, Machine, Order)
                .join(Machine, Machine.id == CapacityWindow.machine_id)
                .join(Order, Order.id == CapacityWindow.booked_order_id)
                .where(CapacityWindow.status == "booked", Machine.status != "active", CapacityWindow.end_at > utcnow(),
                       Order.state.in_(("accepted", "in_production")))
                .order_by(CapacityWindow.start_at))
        if order_id is not None:
            stmt = stmt.where(Order.id == find_order(s, actor, order_id).id)
        else:
            stmt = stmt.where(own_windows(actor))
        out = []
        for w, machine, order in s.execute(stmt).unique().all():
            line = s.scalar(select(QuoteLine).where(QuoteLine.window_id == w.id))
            out.append(StrandedWork(order.public_id, order.title, line.seq if line else None, machine.name,
                                    machine.status, machine.factory.name, w.start_at, w.end_at))
        return out


def requote_elsewhere(actor: Actor, order_id: uuid.UUID) -> tuple[uuid.UUID, SolveJob]:
    """The buyer's way out of a failed re-plan: an accepted order (nothing started) with work
    stuck on a machine that is down is cancelled (move() frees its bookings, its payment cancelled or
    refunded as for any cancellation) and re-posted as a new open order, for which fresh
    quotes over all factories are solved at once. Returns the new order's id and the job."""
    now = utcnow()
    with unit_of_work() as s:
        write_lock(s)
        order = find_order(s, actor, order_id, lock=True)
        policy.require_order_buyer(actor, order)
        if order.state != "accepted":
            raise errors.refusal(errors.Conflict, _l(
                "Only an accepted order whose production has not started can be re-quoted; this one is %(state)s.",
                state=LABELS.get(order.state, order.state)),
                detail=f"only an accepted order whose production has not started can be re-quoted; this one is {order.state}")
        booked = list(s.scalars(select(CapacityWindow).where(CapacityWindow.booked_order_id == order.id,
                                                             CapacityWindow.status == "booked")
                                .with_for_update(of=CapacityWindow)))
        down = {m.id for m in s.scalars(select(Machine).where(Machine.id.in_(sorted({w.machine_id for w in booked})),
                                                              Machine.status != "active"))}
        if not any(w.machine_id in down and w.end_at > now for w in booked):
            raise errors.refusal(errors.Conflict, _l(
                "No work of this order is stuck on a machine that is down; nothing to re-quote."),
                detail="no work of this order is stuck on a machine that is down; nothing to re-quote")
        check_transition(order.state, "cancelled", policy.party_of(actor, order))
        copy = repost(s, order, actor, history_notes.REPOSTED(title=order.title))
        record(s, move(s, order, actor, "cancelled",
                       history_notes.REQUOTED(title=copy.title)))
        s.commit()
        new_id = copy.public_id
    return new_id, request_quotes(actor, new_id)
