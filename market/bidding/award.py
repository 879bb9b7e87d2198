"""Accepting a bid books the bidding factory's capacity through matching's own path, so the
guarantees are the same ones: the solver places the order's operations into that factory's
open windows only (due: the bid's promised date), the placement becomes a quote at the bid's
price, and matching's accept_quote books it all or nothing under row locks (409 and a fresh
quote when a window was taken meanwhile). The bid itself turns 'accepted' in that very
transaction (handlers.settle_bids listens to the order's move), never before."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from market import errors, policy
from market.auth import Actor
from market.bidding import services
from market.bidding.models import Bid
from market.db import unit_of_work, utcnow, write_lock
from market.matching import services as matching
from market.matching.models import SolveJob
from market.matching.problem import CANDIDATES_MAX_SPAN, Built, build
from market.orders.models import Order, Quote
from scheduling import CandidateOptions, SolverParams, quote

LABEL = "bid"  # the label of a quote that places an accepted bid


def _restricted(built: Built, factory_id: int, due: int) -> Built:
    """The order's problem with only the bidding factory's capacity, due at its promise."""
    site = str(factory_id)
    problem = built.problem
    problem = dataclasses.replace(problem, sites=tuple(s for s in problem.sites if s.id == site),
                                  machines=tuple(m for m in problem.machines if m.site_id == site),
                                  jobs=tuple(dataclasses.replace(j, due=max(due, 0)) for j in problem.jobs))
    return dataclasses.replace(built, problem=problem)


def _priced(assignments, bid_price: int, per_operation: dict[int, int]) -> list:
    """The placement's operations at the bid's price: per operation as the factory priced
    them, or the whole-order price spread over the operations by machine time (the last
    takes the rest, so the lines add up to the bid exactly)."""
    legs = sorted(assignments, key=lambda a: a.op_index)
    if per_operation:
        return [dataclasses.replace(a, price=per_operation[int(a.op_name)]) for a in legs]
    minutes = sum(a.end - a.start for a in legs) or 1
    out, billed = [], 0
    for n, a in enumerate(legs):
        share = bid_price - billed if n == len(legs) - 1 else bid_price * (a.end - a.start) // minutes
        billed += share
        out.append(dataclasses.replace(a, price=share))
    return out


def _minutes(moment: datetime, epoch: datetime) -> int:
    return int((moment - epoch).total_seconds() // 60)


def accept_bid(actor: Actor, bid_id: uuid.UUID) -> Bid:
    """The buyer accepts a bid at its standing terms. 409 when the bid or the order moved on,
    when the factory's open capacity cannot finish by its promised date, or when that
    capacity was booked meanwhile (then with `fresh_quote_job`; the bid stays open)."""
    now = utcnow()
    with unit_of_work() as s:
        bid = services.find_bid(s, actor, bid_id)
        order = s.get(Order, bid.order_id)
        policy.require_order_buyer(actor, order)
        _check(bid, order, now)
        revision, promised = bid.revision, bid.promised_at
        price, per_operation = bid.price_minor, bid.operation_prices
        built = build(s, [order], now)
    built = _restricted(built, bid.factory_id, _minutes(promised, built.epoch))
    if not built.problem.machines:
        raise errors.refusal(errors.Conflict, _l("the factory has no open capacity for this order; it must publish "
                                                  "capacity windows before the bid can be booked"), field="bid")
    seconds = current_app.config["QUOTE_TIME_LIMIT_S"]
    alternatives = quote(built.problem, built.job_id, params=SolverParams(time_limit_s=seconds, workers=1, seed=0),
                         candidate_options=CandidateOptions(windows_per_machine=20, max_span=CANDIDATES_MAX_SPAN))
    in_time = [a for a in alternatives if built.at(a.completion) <= promised]
    if not in_time:
        finish = min((built.at(a.completion) for a in alternatives), default=None)
        detail = ("the factory's open capacity cannot make this order" if finish is None else
                  f"the factory's open capacity finishes this order at {finish.isoformat()}, after its promised "
                  f"date {promised.isoformat()}")
        raise errors.refusal(errors.Conflict, _l("the factory's open capacity cannot finish this order by its promised "
                                                  "date; ask it to publish capacity or to revise its bid"), field="bid",
                             detail=detail + "; ask it to publish capacity or to revise its bid")
    # any placement in time honours the bid; the one on the factory's cheapest capacity is its choice
    placement = min(in_time, key=lambda a: (a.price, a.completion))
    with unit_of_work() as s:
        write_lock(s)
        bid = s.scalar(select(Bid).where(Bid.id == bid.id).with_for_update(of=Bid))
        order = s.scalar(select(Order).where(Order.id == bid.order_id).with_for_update(of=Order))
        _check(bid, order, now)
        if bid.revision != revision:
            raise errors.refusal(errors.Conflict, _l("the factory revised this bid meanwhile; review the new terms"),
                                 field="bid")
        job = SolveJob(kind="bid", organization_id=actor.org_id, order_id=order.id, status="done", finished_at=utcnow(),
                       result={"bid": str(bid.public_id), "revision": revision})
        s.add(job)
        s.flush()
        lateness = max(_minutes(promised, order.due_at), 0)
        q = matching.store_offer(s, order, job, built, now, LABEL, _priced(placement.assignments, price, per_operation),
                                 price, _minutes(promised, built.epoch), lateness)
        s.flush()
        bid.quote_id = q.id
        s.commit()
        quote_id, quote_public_id = q.id, q.public_id
    try:
        matching.accept_quote(actor, quote_public_id)
    except matching.CapacityTaken:
        raise  # the quote is stale, a fresh solve is under way; the bid stays open for another try
    except errors.DomainError:
        _retire(quote_id)
        raise
    return services.get_bid(actor, bid_id)


def _check(bid: Bid, order: Order, now: datetime) -> None:
    services.require_open_order(order)
    services.require_live(bid, now, what="accepted")
    if bid.status == "countered":
        raise errors.refusal(errors.Conflict, _l("your counter-offer awaits the factory's answer; the bid can be accepted "
                                                  "once it answers"), field="bid")


def _retire(quote_id: int) -> None:
    """A bid's quote that was not accepted (the order moved on) is no offer to anybody."""
    with unit_of_work() as s:
        s.execute(update(Quote).where(Quote.id == quote_id, Quote.status == "open").values(status="superseded"))
        s.commit()
