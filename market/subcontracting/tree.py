"""The tiers under an order as a party of it may see them: which operations each tier makes,
its state and promised date, and who makes it. Never a price: a tier's price is between it
and the tier that hired it. A factory's name shows only where it consented (or to the tier
that hired it, which chose it, and the operator); elsewhere it is "a certified subcontractor"."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.auth import Actor
from market.db import unit_of_work
from market.orders.access import visible_orders
from market.orders.models import Order, Quote
from market.orders.services import find_order
from market.subcontracting.models import SubcontractNode
from market.subcontracting.queries import maker_names

ANONYMOUS = _l("a certified subcontractor")


@dataclass
class Tier:
    tier: int
    order_id: uuid.UUID | None  # None where the viewer may not open the sub-order
    operation_seqs: list[int]  # in the parent's numbering (the root: all of its operations)
    processes: list[str]
    state: str
    due_at: datetime
    promised_at: datetime | None  # counting the delays of the tiers below
    own_promised_at: datetime | None
    factories: list[str]
    name_disclosed: bool
    cancel_flag: str | None
    subs: list["Tier"] = field(default_factory=list)


def tiers_of(actor: Actor, order_public_id: uuid.UUID) -> Tier:
    with unit_of_work() as s:
        root = find_order(s, actor, order_public_id)
        openable = set(s.scalars(select(Order.id).where(visible_orders(actor), Order.id.in_(_ids_below(s, root.id)))))
        return _tier(s, actor, root, [op.seq for op in root.operations], openable,
                     hired_by_viewer=root.buyer_org_id == actor.org_id, is_root=True)


def _ids_below(s: Session, order_id: int) -> list[int]:
    out, frontier = [], [order_id]
    while frontier:
        frontier = list(s.scalars(select(Order.id).where(Order.parent_order_id.in_(frontier))))
        out += frontier
    return out


def _tier(s: Session, actor: Actor, order: Order, seqs: list[int], openable: set[int], *, hired_by_viewer: bool,
          is_root: bool = False) -> Tier:
    node = s.get(SubcontractNode, order.id)
    disclosed = bool(node and node.name_disclosed)
    names = maker_names(s, order.id)
    sees_names = is_root or actor.is_operator or hired_by_viewer or disclosed
    factories = [name if sees_names or org_id == actor.org_id else str(ANONYMOUS) for org_id, name in names]
    own = node.promised_at if node else None
    promised = node.tree_promised_at if node else None
    if promised is None:
        quote = s.scalar(select(Quote).where(Quote.order_id == order.id, Quote.status == "accepted"))
        own = promised = quote.promised_at if quote else None
    by_seq = {op.seq: op.process_code for op in order.operations}
    tier = Tier(order.tier, order.public_id if is_root or order.id in openable else None, seqs,
                [by_seq[n] for n in sorted(by_seq)], order.state, order.due_at, promised, own,
                factories, disclosed, node.cancel_flag if node else None)
    for sub in s.scalars(select(Order).where(Order.parent_order_id == order.id).order_by(Order.id)):
        tier.subs.append(_tier(s, actor, sub, list(sub.parent_operation_seqs or ()), openable,
                               hired_by_viewer=sub.buyer_org_id == actor.org_id))
    return tier
