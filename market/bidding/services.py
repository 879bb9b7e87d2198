"""Factory bids and counter-offers: a factory invited to an order, or seeing it on the order
board, bids its own price (for the order or per operation), promised date, validity and
conditions; it may revise or withdraw; the buyer may counter, decline or accept (award.py).
Each step is one transaction: the bid's row, its step in the thread, the step's ledger entry
(figures committed, never in clear) and the domain event commit together or not at all."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from ledger.disclosure import new_salt
from market import bus, errors, policy
from market.api_common import MAX_MINOR
from market.auth import Actor
from market.bidding import ledger_events
from market.bidding.access import visible_bids
from market.bidding.domain_events import BidCountered, BidRejected, BidSubmitted, BidWithdrawn, CounterAnswered
from market.bidding.models import LIVE, Bid, BidAttachment, BidStep, BidStepOperation
from market.catalog.models import Factory, Machine, MachineProcess
from market.db import unit_of_work, utcnow, write_lock
from market.journal.ledger import record
from market.orders import attachments as files
from market.orders.access import visible_orders
from market.orders.models import Order, QuoteRequest

BIDDABLE = ("open", "quoted")  # the states in which an order takes bids (those of the order board)
MAX_VALIDITY = timedelta(days=90)


# --- finding what the caller may touch ---------------------------------------------------

def _order_for_factory(s: Session, actor: Actor, order_id: uuid.UUID) -> Order:
    """The order, locked, if the factory may bid on it: invited to quote, or the order is on
    the board (open or quoted). Anything else is not found: a factory learns nothing of
    orders it cannot see."""
    order = s.scalar(select(Order).where(Order.public_id == order_id).with_for_update(of=Order))
    invited = order is not None and s.get(QuoteRequest, (order.id, actor.org_id)) is not None
    if order is None or not (invited or order.state in BIDDABLE):
        raise errors.NotFound(f"order {order_id} not found")
    return order


def find_bid(s: Session, actor: Actor, bid_id: uuid.UUID, *, lock: bool = False) -> Bid:
    stmt = select(Bid).where(Bid.public_id == bid_id, visible_bids(actor))
    bid = s.scalar(stmt.with_for_update(of=Bid) if lock else stmt)
    if bid is None:
        raise errors.NotFound(f"bid {bid_id} not found")
    return bid


def _require_bidder(actor: Actor, bid: Bid) -> None:
    if not actor.is_operator and bid.factory_org_id != actor.org_id:
        raise errors.refusal(errors.Forbidden, _l("only the factory that made this bid may change it"))


def require_open_order(order: Order) -> None:
    if order.state not in BIDDABLE:
        raise errors.refusal(errors.Conflict, _l("bids are taken on open orders only"), field="order",
                             detail=f"bids are taken on open orders; this one is {order.state}")


def require_live(bid: Bid, now: datetime, *, what: str) -> None:
    if bid.status not in LIVE:
        raise errors.refusal(errors.Conflict, _l("this bid is no longer open; it cannot be changed"), field="bid",
                             detail=f"this bid is {bid.status}; it cannot be {what}")
    if bid.expired(now):
        raise errors.refusal(errors.Conflict, _l("this bid has expired; it cannot be changed"), field="bid",
                             detail=f"this bid expired at {bid.expires_at.isoformat()}; it cannot be {what}")


def _bidding_factory(s: Session, actor: Actor, order: Order, factory_id: uuid.UUID | None) -> Factory:
    """The actor's factory that bids: the one named, or its only one. It must be able to make
    the whole order (an active machine for every operation, every required certification),
    since an accepted bid books the order on its machines."""
    stmt = select(Factory).where(Factory.organization_id == actor.org_id).order_by(Factory.id)
    if factory_id is not None:
        factory = s.scalar(stmt.where(Factory.public_id == factory_id))
        if factory is None:
            raise errors.refusal(errors.Invalid, _l("factory %(id)s is not one of yours", id=factory_id), field="factory_id")
    else:
        factories = list(s.scalars(stmt))
        if len(factories) != 1:
            raise errors.refusal(errors.Invalid, _l("register a factory first") if not factories else
                                 _l("you have several factories: name the one that bids (factory_id)"), field="factory_id")
        factory = factories[0]
    missing_certs = sorted(set(order.required_certifications or ()) - set(factory.certifications or ()))
    if missing_certs:
        raise errors.refusal(errors.Invalid, _l("%(factory)s lacks the certification(s) this order requires: %(certs)s",
                                                 factory=factory.name, certs=", ".join(missing_certs)), field="factory_id")
    can_do = set(s.scalars(select(MachineProcess.process_code).join(Machine, Machine.id == MachineProcess.machine_id)
                           .where(Machine.factory_id == factory.id, Machine.status == "active")))
    missing = [f"#{op.seq} {op.process_code}" for op in order.operations if op.process_code not in can_do]
    if missing:
        raise errors.refusal(errors.Invalid, _l("%(factory)s has no active machine for operation(s) %(ops)s; a bid covers "
                                                 "the whole order", factory=factory.name, ops=", ".join(missing)),
                             field="factory_id")
    return factory


# --- terms ------------------------------------------------------------------------------------

def _terms(order: Order, data: dict, now: datetime) -> dict:
    """The bid's terms from the caller's data, checked against the order: one price basis,
    a price for every operation when per operation, a total within the money ceiling, a
    promised date and a validity in the future."""
    price, per_op = data.get("price_minor"), data.get("operation_prices")
    if (price is None) == (per_op is None):
        raise errors.refusal(errors.Invalid, _l("give either price_minor (the whole order) or operation_prices (per "
                                                 "operation)"), field="price_minor")
    operations: dict[int, int] = {}
    if per_op is not None:
        seqs = {op.seq for op in order.operations}
        for item in per_op:
            if item["seq"] not in seqs or item["seq"] in operations:
                raise errors.refusal(errors.Invalid, _l("operation #%(seq)s is not an operation of this order or is priced "
                                                         "twice", seq=item["seq"]), field="operation_prices")
            operations[item["seq"]] = item["price_minor"]
        if set(operations) != seqs:
            missing = ", ".join(f"#{seq}" for seq in sorted(seqs - set(operations)))
            raise errors.refusal(errors.Invalid, _l("price every operation: %(missing)s missing", missing=missing),
                                 field="operation_prices")
        price = sum(operations.values())
        if price > MAX_MINOR:
            raise errors.refusal(errors.Invalid, _l("the operations add up to %(price)s, above the ceiling of %(max)s minor "
                                                     "units", price=price, max=MAX_MINOR), field="operation_prices")
    promised, expires = data["promised_at"], data["expires_at"]
    if promised <= now:
        raise errors.refusal(errors.Invalid, _l("the promised date must be in the future"), field="promised_at")
    if expires <= now:
        raise errors.refusal(errors.Invalid, _l("the bid must be valid until a future moment"), field="expires_at")
    if expires > now + MAX_VALIDITY:
        raise errors.refusal(errors.Invalid, _l("a bid may be valid for at most %(n)s days", n=MAX_VALIDITY.days),
                             field="expires_at")
    return {"price_minor": price, "operations": operations, "promised_at": promised, "expires_at": expires,
            "conditions": data.get("conditions", "").strip()}


def _apply(bid: Bid, terms: dict) -> None:
    bid.price_basis = "operation" if terms["operations"] else "order"
    bid.price_minor, bid.promised_at, bid.expires_at = terms["price_minor"], terms["promised_at"], terms["expires_at"]
    bid.conditions = terms["conditions"]
    bid.counter_price_minor = bid.counter_promised_at = None


def add_step(s: Session, order: Order, bid: Bid, kind: str, actor: Actor | None, *, terms: dict | None = None,
             price: int | None = None, promised: datetime | None = None, note: str = "") -> BidStep:
    """Add one step to the thread and its ledger entry (with a commitment when it carries
    figures). Call it last, just before commit: the ledger lock is held until then."""
    if terms is not None:
        price, promised, note = terms["price_minor"], terms["promised_at"], terms["conditions"]
    carries = price is not None or promised is not None
    step = BidStep(bid_id=bid.id, revision=bid.revision, kind=kind, actor_org_id=actor.org_id if actor else None,
                   actor_user_id=actor.user_id if actor else None, price_minor=price, promised_at=promised,
                   expires_at=terms["expires_at"] if terms else None, note=note, salt=new_salt() if carries else None)
    per_operation = sorted((terms or {}).get("operations", {}).items())
    step.operations = [BidStepOperation(seq=seq, price_minor=p) for seq, p in per_operation]
    s.add(step)
    s.flush()
    org = actor.org_public_id if actor else order.buyer.public_id
    step.ledger_index = record(s, ledger_events.bid_step(order, bid, step, org))[0].index
    return step


def _reload(s: Session, bid: Bid) -> Bid:
    s.refresh(bid)
    bid.steps, bid.attachments  # noqa: B018 - loaded before the session closes
    for step in bid.steps:
        step.operations  # noqa: B018
    return bid


# --- the factory's side --------------------------------------------------------------------

def submit_bid(actor: Actor, order_id: uuid.UUID, data: dict) -> Bid:
    """A factory's bid on an order. A factory has one thread per order: a second bid while
    the first is live is refused (revise it); after a withdrawal or a decline it may bid
    again, as the next revision of the same thread."""
    now = utcnow()
    with unit_of_work() as s:
        write_lock(s)
        order = _order_for_factory(s, actor, order_id)  # first: an order one cannot see is not found
        policy.require_kind(actor, "factory")
        require_open_order(order)
        factory = _bidding_factory(s, actor, order, data.get("factory_id"))
        terms = _terms(order, data, now)
        bid = s.scalar(select(Bid).where(Bid.order_id == order.id, Bid.factory_org_id == actor.org_id)
                       .with_for_update(of=Bid))
        if bid is not None and bid.status in LIVE:
            raise errors.refusal(errors.Conflict, _l("you already have a live bid on this order: revise it instead"),
                                 field="bid")
        if bid is None:
            bid = Bid(order_id=order.id, factory_id=factory.id, factory_org_id=actor.org_id, revision=1,
                      currency=order.currency, status="open")
            _apply(bid, terms)
            s.add(bid)
            s.flush()
        else:
            bid.factory_id, bid.status, bid.revision, bid.quote_id = factory.id, "open", bid.revision + 1, None
            _apply(bid, terms)
        add_step(s, order, bid, "submitted", actor, terms=terms)
        bus.publish(s, BidSubmitted(bid.id, order.id, actor.org_id, bid.revision, actor.user_id))
        s.commit()
        return _reload(s, bid)


def revise_bid(actor: Actor, bid_id: uuid.UUID, data: dict) -> Bid:
    """New terms for a live bid (the old ones stay in the thread); a pending counter lapses."""
    now = utcnow()
    with unit_of_work() as s:
        write_lock(s)
        bid = find_bid(s, actor, bid_id, lock=True)
        _require_bidder(actor, bid)
        order = s.scalar(select(Order).where(Order.id == bid.order_id).with_for_update(of=Order))
        require_open_order(order)
        if bid.status not in LIVE:  # an expired bid may be revised: that renews it
            raise errors.refusal(errors.Conflict, _l("this bid is no longer open; it cannot be revised"), field="bid",
                                 detail=f"this bid is {bid.status}; it cannot be revised")
        if data.get("factory_id") is not None and data["factory_id"] != bid.factory.public_id:
            raise errors.refusal(errors.Invalid, _l("a revision keeps the bid's factory; withdraw and bid again to change "
                                                     "it"), field="factory_id")
        _bidding_factory(s, actor, order, bid.factory.public_id)
        terms = _terms(order, data, now)
        bid.revision += 1
        bid.status = "open"
        _apply(bid, terms)
        add_step(s, order, bid, "revised", actor, terms=terms)
        bus.publish(s, BidSubmitted(bid.id, order.id, bid.factory_org_id, bid.revision, actor.user_id))
        s.commit()
        return _reload(s, bid)


def withdraw_bid(actor: Actor, bid_id: uuid.UUID, note: str = "") -> Bid:
    with unit_of_work() as s:
        write_lock(s)
        bid = find_bid(s, actor, bid_id, lock=True)
        _require_bidder(actor, bid)
        order = s.scalar(select(Order).where(Order.id == bid.order_id).with_for_update(of=Order))
        if bid.status not in LIVE:
            raise errors.refusal(errors.Conflict, _l("this bid is no longer open; it cannot be withdrawn"), field="bid",
                                 detail=f"this bid is {bid.status}; it cannot be withdrawn")
        bid.status = "withdrawn"
        bid.counter_price_minor = bid.counter_promised_at = None
        add_step(s, order, bid, "withdrawn", actor, note=note.strip())
        bus.publish(s, BidWithdrawn(bid.id, order.id, bid.factory_org_id, actor.user_id))
        s.commit()
        return _reload(s, bid)


def answer_counter(actor: Actor, bid_id: uuid.UUID, *, accept: bool, note: str = "") -> Bid:
    """The factory takes the buyer's counter (its figures become the bid's terms, as the next
    revision; the buyer may then accept the bid) or rejects it (its own terms stand)."""
    now = utcnow()
    with unit_of_work() as s:
        write_lock(s)
        bid = find_bid(s, actor, bid_id, lock=True)
        _require_bidder(actor, bid)
        order = s.scalar(select(Order).where(Order.id == bid.order_id).with_for_update(of=Order))
        require_open_order(order)
        require_live(bid, now, what="answered")
        if bid.status != "countered":
            raise errors.refusal(errors.Conflict, _l("there is no counter-offer on this bid to answer"), field="bid")
        if accept:
            step = bid.terms_step
            keeps_operations = bid.counter_price_minor is None and bid.price_basis == "operation"
            terms = {"price_minor": bid.price_minor if bid.counter_price_minor is None else bid.counter_price_minor,
                     "promised_at": bid.counter_promised_at or bid.promised_at, "expires_at": bid.expires_at,
                     "conditions": bid.conditions,
                     "operations": {op.seq: op.price_minor for op in step.operations} if keeps_operations else {}}
            bid.revision += 1
            _apply(bid, terms)
            add_step(s, order, bid, "counter_accepted", actor, terms=terms)
        else:
            bid.counter_price_minor = bid.counter_promised_at = None
            add_step(s, order, bid, "counter_rejected", actor, note=note.strip())
        bid.status = "open"
        bus.publish(s, CounterAnswered(bid.id, order.id, bid.factory_org_id, accept, actor.user_id))
        s.commit()
        return _reload(s, bid)


# --- the buyer's side ----------------------------------------------------------------------

def _buyers_bid(s: Session, actor: Actor, bid_id: uuid.UUID) -> tuple[Bid, Order]:
    bid = find_bid(s, actor, bid_id, lock=True)
    order = s.scalar(select(Order).where(Order.id == bid.order_id).with_for_update(of=Order))
    policy.require_order_buyer(actor, order)
    return bid, order


def counter_bid(actor: Actor, bid_id: uuid.UUID, data: dict) -> Bid:
    """The buyer's counter-offer: another price and/or promised date, with a note."""
    now = utcnow()
    price, promised = data.get("price_minor"), data.get("promised_at")
    with unit_of_work() as s:
        write_lock(s)
        bid, order = _buyers_bid(s, actor, bid_id)
        require_open_order(order)
        require_live(bid, now, what="countered")
        if bid.status == "countered":
            raise errors.refusal(errors.Conflict, _l("your earlier counter-offer awaits the factory's answer"), field="bid")
        if price is None and promised is None:
            raise errors.refusal(errors.Invalid, _l("counter with a price, a promised date or both"), field="price_minor")
        if promised is not None and promised <= now:
            raise errors.refusal(errors.Invalid, _l("the promised date must be in the future"), field="promised_at")
        bid.status, bid.counter_price_minor, bid.counter_promised_at = "countered", price, promised
        add_step(s, order, bid, "countered", actor, price=price, promised=promised, note=data.get("note", "").strip())
        bus.publish(s, BidCountered(bid.id, order.id, bid.factory_org_id, actor.user_id))
        s.commit()
        return _reload(s, bid)


def decline_bid(actor: Actor, bid_id: uuid.UUID, note: str = "") -> Bid:
    with unit_of_work() as s:
        write_lock(s)
        bid, order = _buyers_bid(s, actor, bid_id)
        if bid.status not in LIVE:
            raise errors.refusal(errors.Conflict, _l("this bid is no longer open; it cannot be declined"), field="bid",
                                 detail=f"this bid is {bid.status}; it cannot be declined")
        bid.status = "declined"
        bid.counter_price_minor = bid.counter_promised_at = None
        add_step(s, order, bid, "declined", actor, note=note.strip())
        bus.publish(s, BidRejected(bid.id, order.id, bid.factory_org_id, actor.user_id))
        s.commit()
        return _reload(s, bid)


# --- reads ------------------------------------------------------------------------------------

def get_bid(actor: Actor, bid_id: uuid.UUID) -> Bid:
    with unit_of_work() as s:
        return _reload(s, find_bid(s, actor, bid_id))


def bids_on_order(actor: Actor, order_id: uuid.UUID) -> list[Bid]:
    """The buyer (and the operator): every bid on the order; a factory: its own only. An
    order the caller neither sees (orders' scope) nor bid on is not found."""
    with unit_of_work() as s:
        seen = s.scalar(select(Order.id).where(Order.public_id == order_id, or_(
            visible_orders(actor), exists().where(Bid.order_id == Order.id, visible_bids(actor)))))
        if seen is None:
            raise errors.NotFound(f"order {order_id} not found")
        bids = list(s.scalars(select(Bid).join(Order, Order.id == Bid.order_id)
                              .where(Order.public_id == order_id, visible_bids(actor)).order_by(Bid.price_minor, Bid.id)))
        return [_reload(s, b) for b in bids]


def my_bids(actor: Actor, limit: int = 100) -> list[Bid]:
    """A factory's own bids, newest first."""
    policy.require_kind(actor, "factory")
    with unit_of_work() as s:
        bids = list(s.scalars(select(Bid).where(Bid.factory_org_id == actor.org_id)
                              .order_by(Bid.updated_at.desc(), Bid.id.desc()).limit(limit)))
        return [_reload(s, b) for b in bids]


def order_of(actor: Actor, bid: Bid) -> Order:
    """The order of a bid the caller already reached through a scoped lookup."""
    with unit_of_work() as s:
        order = s.get(Order, bid.order_id)
        order.operations  # noqa: B018
        return order


def biddable_order(actor: Actor, order_id: uuid.UUID) -> Order:
    """The order as the bid form shows it (the board's view: no budget, no drawings): only
    to a factory that may bid on it; not found for anyone else who cannot see it."""
    with unit_of_work() as s:
        order = _order_for_factory(s, actor, order_id)
        policy.require_kind(actor, "factory")
        require_open_order(order)
        order.operations, order.buyer  # noqa: B018
        return order


# --- attachments ------------------------------------------------------------------------------

def add_attachment(actor: Actor, bid_id: uuid.UUID, upload) -> BidAttachment:
    """A document for a live bid (drawing mark-up, process sheet, certificate): checked and
    stored like an order's drawings; the file is removed again if the row is not written."""
    with unit_of_work() as s:
        bid = find_bid(s, actor, bid_id, lock=True)
        _require_bidder(actor, bid)
        if bid.status not in LIVE:
            raise errors.refusal(errors.Conflict, _l("documents go on live bids only"), field="bid",
                                 detail=f"this bid is {bid.status}; documents go on live bids")
        with files.stored(upload) as kept:
            row = BidAttachment(bid_id=bid.id, uploaded_by_org_id=actor.org_id, **kept.__dict__)
            s.add(row)
            s.commit()
        return row


def get_attachment(actor: Actor, attachment_id: uuid.UUID) -> BidAttachment:
    with unit_of_work() as s:
        row = s.scalar(select(BidAttachment).join(Bid, Bid.id == BidAttachment.bid_id)
                       .where(BidAttachment.public_id == attachment_id, visible_bids(actor)))
        if row is None:
            raise errors.NotFound(f"attachment {attachment_id} not found")
        return row
