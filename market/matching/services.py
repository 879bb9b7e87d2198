"""Quotes and bookings: a buyer asks for quotes (solved in the background), compares up
to three alternatives, and accepts one; accepting books the capacity atomically."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from flask_babel import lazy_gettext as _l

from market.i18n import LABELS
from market import bus, errors, policy
from market.api_common import MAX_MINOR
from market.auth import Actor
from market.catalog.models import CapacityWindow, Machine
from market.db import unit_of_work, utcnow, write_lock
from market.matching import jobs
from market.matching.bottleneck import bottleneck
from market.matching.domain_events import NoQuotePossible, QuotesReady, ReplanFailed, Replanned
from market.matching.models import SolveJob
from market.matching.problem import CANDIDATES_MAX_SPAN, build, percent_windows_left_out
from market.orders.models import Order, OrderEvent, Quote, QuoteLine
from market.orders.services import find_order, move
from market.orders.states import check_transition
from market.orders import history_notes, ledger_events
from market.journal.ledger import record
from market.pagination import Order as Keys
from market.pagination import Page, paginate, since
from ledger.disclosure import new_salt
from scheduling import CandidateOptions, SolverParams, Weights, batch_match, quote
from scheduling.batch import BATCH_CANDIDATES

QUOTABLE = ("open", "quoted")
BATCH_WEIGHTS = Weights(price=1, transport=1, tardiness=10)  # batch_match's own default, plus quality below


def request_quotes(actor: Actor, order_id: uuid.UUID) -> SolveJob:
    """Enqueue a quote solve for the buyer's order; returns the job to poll."""
    with unit_of_work() as s:
        order = find_order(s, actor, order_id)
        policy.require_order_buyer(actor, order)
        if order.state not in QUOTABLE:
            raise errors.refusal(errors.Conflict, _l("Quotes are made for open orders; this one is %(state)s.",
                                                     state=LABELS.get(order.state, order.state)),
                                 detail=f"quotes are made for open orders; this one is {order.state}")
    return jobs.enqueue("quote", actor.org_id, order_id=order.id)


def run_quote_job(job_id: int) -> None:
    """The worker's side: solve, store the alternatives, move the order to 'quoted'."""
    now = utcnow()
    with unit_of_work() as s:
        job = s.get(SolveJob, job_id)
        built = build(s, [s.get(Order, job.order_id)], now)
        left_out = percent_windows_left_out(built, s.get(Order, job.order_id))
    seconds = current_app.config["QUOTE_TIME_LIMIT_S"]
    alternatives = quote(built.problem, built.job_id, params=SolverParams(time_limit_s=seconds, workers=1, seed=0),
                         quality_weight=current_app.config["QUOTE_QUALITY_WEIGHT"],
                         candidate_options=CandidateOptions(windows_per_machine=20, max_span=CANDIDATES_MAX_SPAN))
    with unit_of_work() as s:
        job = s.get(SolveJob, job_id)
        order = s.scalar(select(Order).where(Order.id == job.order_id).with_for_update(of=Order))
        if order.state not in QUOTABLE:  # accepted or cancelled while we solved: nothing to offer
            job.status, job.finished_at = "done", utcnow()
            job.result = {"alternatives": 0, "message": f"the order is {order.state} now"}
            s.commit()
            return
        # a price above the money ceiling is no offer (10^13 a piece x 10^7 pieces would not even fit a BIGINT)
        over_ceiling = [alt for alt in alternatives if alt.price + alt.transport > MAX_MINOR]
        alternatives = [alt for alt in alternatives if alt not in over_ceiling]
        # earlier open quotes of this order give way to the fresh ones
        s.execute(update(Quote).where(Quote.order_id == order.id, Quote.status == "open").values(status="superseded"))
        for alt in alternatives:
            _store_quote(s, order, job, built, now, alt.label, alt.assignments, alt.price, alt.transport,
                         alt.completion, alt.lateness)
        job.status, job.finished_at = "done", utcnow()
        message = "" if alternatives else "no open capacity can make this order; try a later due date"
        reason = "no_capacity"
        if left_out and not alternatives:
            message = (f"no open capacity can make this order: {left_out} capacity window(s) priced as a share of "
                       f"the job value were left out because the order declares no part value; declare it "
                       f"(declared_value_minor) or try a later due date")
            reason = "value_not_declared"
        if over_ceiling and not alternatives:
            message = (f"the only ways to make this order cost more than the ceiling of {MAX_MINOR} minor units "
                       f"per quote; split it into smaller orders")
            reason = "over_ceiling"
        short = bottleneck(built.problem, built.job_id) if not alternatives and reason != "over_ceiling" else None
        bus.publish(s, QuotesReady(order.id, job.id, len(alternatives)) if alternatives
                    else NoQuotePossible(order.id, job.id, reason, short))
        job.result = {"alternatives": len(alternatives), "message": message}
        if short:
            job.result["bottleneck"] = short
        s.commit()


def _store_quote(s: Session, order: Order, job: SolveJob, built, now, label: str, assignments, price: int,
                 transport: int, completion: int, lateness: int) -> Quote:
    """Keep one proposal as a quote the buyer can accept; an open order becomes 'quoted'."""
    ops = {str(op.seq): op for op in order.operations}
    q = Quote(order_id=order.id, job_id=job.id, label=label, price_minor=price, transport_minor=transport,
              currency=order.currency, promised_at=built.at(completion), lateness_minutes=max(lateness, 0),
              expires_at=now + timedelta(hours=current_app.config["QUOTE_TTL_HOURS"]))
    for a in assignments:
        pieces = built.pieces(a)
        minutes = sum(end - start for _w, start, end in pieces)
        billed = 0
        for n, (window_id, start, end) in enumerate(pieces):
            # the operation's price is spread over its slices by time; the last takes the rest
            share = a.price - billed if n == len(pieces) - 1 else a.price * (end - start) // minutes
            billed += share
            q.lines.append(QuoteLine(seq=a.op_index + 1, process_code=ops[a.op_name].process_code, window_id=window_id,
                                     machine_id=int(a.machine_id), factory_id=int(a.site_id), start_at=built.at(start),
                                     end_at=built.at(end), price_minor=share))
    s.add(q)
    if order.state == "open":
        record(s, move(s, order, None, "quoted", history_notes.QUOTE_READY(label=label)))
    return q


def store_offer(s: Session, order: Order, job: SolveJob, built, now, label: str, assignments, price: int,
                completion: int, lateness: int) -> Quote:
    """A quote for an offer made on the solver's placement but priced by someone else (a
    factory's accepted bid, market/bidding/award.py): `assignments` carry that price per
    operation. It is accepted through accept_quote like any other quote."""
    return _store_quote(s, order, job, built, now, label, assignments, price, 0, completion, lateness)


# --- batch match (operator) ----------------------------------------------------------------

def request_batch_match(actor: Actor) -> SolveJob:
    """Match every open order against all open capacity at once (operator, or a cron job)."""
    policy.require_kind(actor, "operator")
    return jobs.enqueue("batch", actor.org_id)


def run_batch_job(job_id: int) -> None:
    now = utcnow()
    with unit_of_work() as s:
        orders = list(s.scalars(select(Order).where(Order.state == "open", Order.due_at > now).order_by(Order.due_at)))
    seconds = current_app.config["BATCH_TIME_LIMIT_S"]
    quality_weight = current_app.config["QUOTE_QUALITY_WEIGHT"]
    summary = {"orders": len(orders), "filled": 0, "price": 0, "transport": 0}
    for currency in sorted({o.currency for o in orders}):  # prices of different currencies never mix
        group = [o for o in orders if o.currency == currency]
        with unit_of_work() as s:
            built = build(s, [s.get(Order, o.id) for o in group], now)
        solution = batch_match(built.problem, params=SolverParams(time_limit_s=seconds, workers=1, seed=0),
                               wall_budget_s=seconds, weights=replace(BATCH_WEIGHTS, quality=quality_weight),
                               candidate_options=replace(BATCH_CANDIDATES, max_span=CANDIDATES_MAX_SPAN))
        by_job = {}
        for a in solution.assignments:
            by_job.setdefault(a.job_id, []).append(a)
        with unit_of_work() as s:
            job = s.get(SolveJob, job_id)
            for outcome in solution.jobs:
                if not outcome.filled:
                    continue
                order = s.scalar(select(Order).where(Order.id == int(outcome.job_id)).with_for_update(of=Order))
                if order.state != "open":  # moved on while we solved
                    continue
                legs = sorted(by_job[outcome.job_id], key=lambda a: a.op_index)
                transport = sum(built.problem.leg(a.site_id, b.site_id).cost for a, b in zip(legs, legs[1:]))
                price = sum(a.price for a in legs)
                if price + transport > MAX_MINOR:  # no offer above the money ceiling (see run_quote_job)
                    continue
                _store_quote(s, order, job, built, now, "batch", legs, price, transport, outcome.completion,
                             outcome.lateness or 0)
                summary["filled"] += 1
                summary["price"] += price
                summary["transport"] += transport
            s.commit()
    with unit_of_work() as s:
        job = s.get(SolveJob, job_id)
        job.status, job.finished_at, job.result = "done", utcnow(), summary
        s.commit()


def get_job(actor: Actor, public_id: uuid.UUID) -> SolveJob:
    with unit_of_work() as s:
        job = s.scalar(select(SolveJob).where(SolveJob.public_id == public_id,
                                              policy.own_rows(actor, SolveJob.organization_id)))
        if job is None:
            raise errors.NotFound(f"job {public_id} not found")
        return job


def _quotes_of(s: Session, actor: Actor, order_id: uuid.UUID):
    order = find_order(s, actor, order_id, graph=False)
    policy.require_order_buyer(actor, order)
    return select(Quote).where(Quote.order_id == order.id)


def list_quotes(actor: Actor, order_id: uuid.UUID) -> list[Quote]:
    with unit_of_work() as s:
        return list(s.scalars(_quotes_of(s, actor, order_id).order_by(*NEWEST_QUOTE_FIRST.clauses())))


NEWEST_QUOTE_FIRST = Keys.of(Quote.id.desc())
QUOTES_BY_CHANGE = Keys.of(Quote.updated_at, Quote.id)


def quote_page(actor: Actor, order_id: uuid.UUID, *, updated_since: datetime | None = None, page: int = 1,
               per_page: int = 20, cursor: str | None = None) -> Page[Quote]:
    """GET /orders/<id>/quotes: newest first; with `updated_since`, by (updated_at, id)."""
    with unit_of_work() as s:
        stmt, order = since(_quotes_of(s, actor, order_id), Quote.updated_at, updated_since, changed=QUOTES_BY_CHANGE,
                            otherwise=NEWEST_QUOTE_FIRST)
        return paginate(s, stmt, page, per_page, cursor=cursor, order=order)


def _quote(s: Session, actor: Actor, public_id: uuid.UUID, *, lock: bool = False) -> Quote:
    stmt = (select(Quote).join(Order, Order.id == Quote.order_id)
            .where(Quote.public_id == public_id, policy.own_rows(actor, Order.buyer_org_id)))
    q = s.scalar(stmt.with_for_update(of=Quote) if lock else stmt)
    if q is None:
        raise errors.NotFound(f"quote {public_id} not found")
    return q


def get_quote(actor: Actor, public_id: uuid.UUID) -> Quote:
    with unit_of_work() as s:
        return _quote(s, actor, public_id)


class CapacityTaken(errors.Conflict):
    title = "Capacity no longer available"


class MachineDown(CapacityTaken):
    """A machine of the quote went to maintenance or was retired after the quote was made."""


def accept_quote(actor: Actor, public_id: uuid.UUID) -> Quote:
    """Book every slice of the quote or nothing. Machines and windows are re-checked under
    row locks (machines locked in id order, so two acceptances cannot deadlock); a machine
    no longer active or a slice no longer open gives 409, the quote turns stale and a fresh
    quote is solved at once."""
    now = utcnow()
    with unit_of_work() as s:
        write_lock(s)
        q = _quote(s, actor, public_id)
        order = s.scalar(select(Order).where(Order.id == q.order_id).with_for_update(of=Order))
        if q.status != "open":
            raise errors.refusal(errors.Conflict, _l("This quote is %(status)s; request fresh quotes.",
                                                     status=LABELS.get(q.status, q.status)),
                                 detail=f"this quote is {q.status}; request fresh quotes")
        if q.expires_at <= now:
            q.status = "expired"
            s.commit()
            raise errors.refusal(errors.Conflict, _l("This quote has expired; request fresh quotes."),
                                 detail="this quote has expired; request fresh quotes")
        check_transition(order.state, "accepted", policy.party_of(actor, order), via_service=True)
        try:
            for machine_id in sorted({line.machine_id for line in q.lines}):
                machine = s.scalar(select(Machine).where(Machine.id == machine_id).with_for_update(of=Machine))
                if machine.status != "active":  # gone to maintenance (or retired) since the quote was made
                    raise MachineDown(f"machine {machine.name} is {machine.status} now; request fresh quotes",
                                      field="quote")
            for line in q.lines:
                _carve(s, line, order.id)
        except CapacityTaken as taken:
            s.rollback()
            with unit_of_work() as s2:
                s2.execute(update(Quote).where(Quote.id == q.id).values(status="stale"))
                s2.commit()
            # the loser of the race is not left empty-handed: a fresh quote is already on its way
            fresh = request_quotes(actor, order.public_id)
            taken.extra = {"fresh_quote_job": str(fresh.public_id)}
            raise
        q.status = "accepted"
        s.execute(update(Quote).where(Quote.order_id == order.id, Quote.id != q.id, Quote.status == "open")
                  .values(status="superseded"))
        accepted = ledger_events.quote_accepted(order, actor.org_public_id, q, _shares(order, q))
        appended = record(s, accepted, move(s, order, actor, "accepted", history_notes.QUOTE_ACCEPTED(label=q.label),
                                            quote_id=q.id))
        q.accepted_ledger_index = appended[0].index
        s.commit()
        s.refresh(q)
        return q


def _shares(order: Order, q: Quote) -> dict[str, dict]:
    """Each factory's part of the price, committed on the ledger; the salts stay on the quote."""
    amounts: dict[str, int] = {}
    for line in q.lines:
        key = str(line.factory.public_id)
        amounts[key] = amounts.get(key, 0) + line.price_minor
    q.share_salts = {f: new_salt() for f in amounts}
    return {f: {"payload": ledger_events.share_payload(order, f, amount, q.currency), "salt": q.share_salts[f]}
            for f, amount in amounts.items()}


def _carve(s: Session, line: QuoteLine, order_id: int) -> None:
    """Book the line's slice from whichever open window of its machine now holds it (an
    earlier booking may have split the window the quote was computed on)."""
    w = s.scalar(select(CapacityWindow).where(
        CapacityWindow.machine_id == line.machine_id, CapacityWindow.status == "open",
        CapacityWindow.start_at <= line.start_at, CapacityWindow.end_at >= line.end_at).with_for_update(of=CapacityWindow))
    if w is None:
        raise CapacityTaken("part of this quote's capacity was booked or withdrawn meanwhile; "
                            "request fresh quotes", field="quote")
    line.window_id = carve(s, w, line.start_at, line.end_at, order_id).id  # the line names its booked slice


def carve(s: Session, w: CapacityWindow, start, end, order_id: int) -> CapacityWindow:
    """Turn [start, end) of open window `w` into a booked window (the same row); the parts
    of the window before and after stay open as windows of their own."""
    terms = {k: getattr(w, k) for k in ("machine_id", "factory_id", "pricing_mode", "price", "currency", "min_lot",
                                        "lead_time_days", "series_id")}
    before, after = (w.start_at, start), (end, w.end_at)
    w.start_at, w.end_at, w.status, w.booked_order_id = start, end, "booked", order_id
    for a, b in (before, after):
        if b > a:
            s.add(CapacityWindow(start_at=a, end_at=b, status="open", **terms))
    s.flush()
    return w


def expire_quotes(now=None) -> int:
    """Periodic (cron: `market quotes expire`): lapse quotes past their expiry; an order whose
    quotes have all lapsed goes back from 'quoted' to 'open'. Returns how many lapsed."""
    now = now or utcnow()
    with unit_of_work() as s:
        write_lock(s)
        lapsed = list(s.scalars(select(Quote).where(Quote.status == "open", Quote.expires_at <= now)
                                .with_for_update(of=Quote)))
        for q in lapsed:
            q.status = "expired"
        s.flush()
        for order_id in sorted({q.order_id for q in lapsed}):
            order = s.scalar(select(Order).where(Order.id == order_id).with_for_update(of=Order))
            still_open = s.scalar(select(Quote.id).where(Quote.order_id == order_id, Quote.status == "open").limit(1))
            if order.state == "quoted" and still_open is None:
                record(s, move(s, order, None, "open", history_notes.QUOTES_EXPIRED()))
        s.commit()
        return len(lapsed)


# --- re-planning after a breakdown -------------------------------------------------------

def request_reschedule(factory_id: int, organization_id: int, down_machine_ids: list[int]) -> SolveJob:
    """Enqueue the re-plan of a factory whose machines `down_machine_ids` went down, unless
    the same re-plan is queued or running already (it will find what a second one would:
    asking twice, e.g. an event handler run again, re-plans once)."""
    wanted = {"factory_id": factory_id, "down": sorted(down_machine_ids)}
    with unit_of_work() as s:
        for job in s.scalars(select(SolveJob).where(SolveJob.kind == "reschedule", SolveJob.organization_id == organization_id,
                                                    SolveJob.status.in_(("queued", "running")))):
            if {k: job.result.get(k) for k in wanted} == wanted:
                return job
    return jobs.enqueue("reschedule", organization_id, result=wanted)


def run_reschedule_job(job_id: int) -> None:
    from market.matching.reschedule import plan

    now = utcnow()
    with unit_of_work() as s:
        job = s.get(SolveJob, job_id)
        factory_id, down = job.result["factory_id"], set(job.result["down"])
        moves = plan(s, factory_id, down, now, current_app.config["QUOTE_TIME_LIMIT_S"])
    _apply_moves(job_id, moves)


def _apply_moves(job_id: int, moves: list[dict]) -> None:
    """Move the bookings in one transaction: free every old slot first, then carve the new
    ones (a freed slot may be reused by another moved booking)."""
    with unit_of_work() as s:
        write_lock(s)
        job = s.get(SolveJob, job_id)
        windows = {m["window_id"]: s.scalar(select(CapacityWindow).where(CapacityWindow.id == m["window_id"])
                                            .with_for_update(of=CapacityWindow)) for m in moves}
        lines = {line.window_id: line for line in s.scalars(select(QuoteLine).where(QuoteLine.window_id.in_(windows)))}
        before = {wid: (w.machine_id, w.start_at, w.end_at, w.booked_order_id) for wid, w in windows.items()}
        placed = [m for m in moves if m["machine_id"] is not None
                  and (m["machine_id"], m["start"], m["end"]) != before[m["window_id"]][:3]]
        for m in placed:
            windows[m["window_id"]].status, windows[m["window_id"]].booked_order_id = "open", None
        s.flush()
        report, by_order = [], {}
        for m in placed:
            old_machine, old_start, old_end, order_id = before[m["window_id"]]
            host = s.scalar(select(CapacityWindow).where(
                CapacityWindow.machine_id == m["machine_id"], CapacityWindow.status == "open",
                CapacityWindow.start_at <= m["start"], CapacityWindow.end_at >= m["end"]).with_for_update(of=CapacityWindow))
            booked = carve(s, host, m["start"], m["end"], order_id)
            lines[m["window_id"]].window_id, lines[m["window_id"]].machine_id = booked.id, m["machine_id"]
            order = s.get(Order, order_id)
            report.append({"order": str(order.public_id), "title": order.title, "seq": lines[m["window_id"]].seq,
                           "old_machine": s.get(Machine, old_machine).name, "new_machine": s.get(Machine, m["machine_id"]).name,
                           "old_start": old_start.isoformat(), "old_end": old_end.isoformat(),
                           "new_start": m["start"].isoformat(), "new_end": m["end"].isoformat(),
                           "late": m["end"] > order.due_at})
            by_order.setdefault(order_id, order)
        unplaced = [m for m in moves if m["machine_id"] is None]
        stuck = _record_unplaced(s, unplaced, job)
        for order_id, order in by_order.items():
            promised = s.scalar(select(func.max(CapacityWindow.end_at)).where(CapacityWindow.booked_order_id == order_id))
            note = history_notes.REPLANNED(at=promised.isoformat())
            s.add(OrderEvent(order_id=order_id, from_state=order.state, to_state=order.state, note=note))
            bus.publish(s, Replanned(job.id, order_id, job.organization_id, promised.isoformat(), promised > order.due_at))
        if by_order:
            record(s, *[ledger_events.booking_rescheduled(order, job) for order in by_order.values()])
        job.status, job.finished_at = "done", utcnow()
        job.result = {**job.result, "moves": report, "unplaced": len(unplaced), "unplaced_work": stuck}
        s.commit()


def _record_unplaced(s: Session, unplaced: list[dict], job: SolveJob) -> list[dict]:
    """A re-plan that could not move work off a machine that went down: each order concerned
    gets a history entry naming the operations (the buyer and the factory read it; the order
    page and the factory's schedule show a banner while the work is stuck). Returns them."""
    stuck: list[dict] = []
    per_order: dict[int, list[str]] = {}
    for m in unplaced:
        w = s.get(CapacityWindow, m["window_id"])
        line = s.scalar(select(QuoteLine).where(QuoteLine.window_id == w.id))
        order = s.get(Order, w.booked_order_id)
        machine = s.get(Machine, w.machine_id)
        seq = line.seq if line else None
        stuck.append({"order": str(order.public_id), "title": order.title, "seq": seq, "machine": machine.name,
                      "start": w.start_at.isoformat(), "end": w.end_at.isoformat()})
        per_order.setdefault(order.id, []).append(f"#{seq} on {machine.name} ({machine.status})")
    for order_id, where in per_order.items():
        order = s.get(Order, order_id)
        note = history_notes.NOT_REPLANNED(where=", ".join(where))
        s.add(OrderEvent(order_id=order_id, from_state=order.state, to_state=order.state, note=note))
        bus.publish(s, ReplanFailed(job.id, order_id, job.organization_id, where))
    return stuck


@dataclass(frozen=True)
class AcceptedQuote:
    """What the buyer accepted, as the viewer may see it: the buyer and the operator see the
    price and every factory's share; a factory sees the factories and its own share only
    (the other shares are committed on the ledger, not disclosed)."""

    label: str
    currency: str
    price_minor: int | None
    transport_minor: int | None
    promised_at: datetime
    factories: list[tuple[str, int | None]]  # (factory name, its share, None when not the viewer's)


def accepted_quote(actor: Actor, order_id: uuid.UUID) -> AcceptedQuote | None:
    with unit_of_work() as s:
        order = find_order(s, actor, order_id)
        q = s.scalar(select(Quote).where(Quote.order_id == order.id, Quote.status == "accepted"))
        if q is None:
            return None
        sees_all = policy.party_of(actor, order) != "factory"
        shares: dict[str, int] = {}
        for line in q.lines:
            shares[line.factory.name] = shares.get(line.factory.name, 0) + line.price_minor
        own = {line.factory.name for line in q.lines if line.factory.organization_id == actor.org_id}
        return AcceptedQuote(q.label, q.currency, q.price_minor if sees_all else None,
                             q.transport_minor if sees_all else None, q.promised_at,
                             [(name, amount if sees_all or name in own else None) for name, amount in shares.items()])


def bookings_of(actor: Actor, order_id: uuid.UUID) -> list[CapacityWindow]:
    """The capacity booked for an order (what the buyer was promised, as it stands now)."""
    with unit_of_work() as s:
        order = find_order(s, actor, order_id)
        return list(s.scalars(select(CapacityWindow).where(CapacityWindow.booked_order_id == order.id)
                              .order_by(CapacityWindow.start_at)))


def recent_reschedules(actor: Actor, limit: int = 3) -> list[SolveJob]:
    with unit_of_work() as s:
        return list(s.scalars(select(SolveJob).where(SolveJob.kind == "reschedule", SolveJob.status == "done",
                                                     SolveJob.organization_id == actor.org_id)
                              .order_by(SolveJob.id.desc()).limit(limit)))


def recent_batches(actor: Actor, limit: int = 5) -> list[SolveJob]:
    policy.require_kind(actor, "operator")
    with unit_of_work() as s:
        return list(s.scalars(select(SolveJob).where(SolveJob.kind == "batch").order_by(SolveJob.id.desc()).limit(limit)))
