"""Gather a factory's facts for its credit features from the domains that own them:
telemetry (OEE days, downtime, utilization), production (deliveries, QC), matching (sales
with their committed amounts, and cancellations after acceptance with their
order.state_changed entries), payments (disputes, and which sales were paid: only those are
revenue), and our own financing tables.

Each source is read through its published query module; a domain that is not installed
yet contributes nothing: its features come out missing, which the scorecard scores in its
own 'missing' bin (the average applicant's points: no data earns no credit either way).
"""
from __future__ import annotations

import importlib
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.entry import decode_entry

from market.catalog.models import Factory
from market.credit import features as F
from market.credit.models import FinancingApplication
from market.journal.ledger import get_ledger

HISTORY_DAYS = 180

# Obligations booked by domains above credit that repay like instalments (a lease's rent): each
# such domain registers a source at start-up (create_app), so credit never imports a higher part.
# Keyed by name: registering again (another app in the same process) replaces, never doubles.
InstalmentSource = Callable[[Session, Factory], "list[F.Instalment]"]
INSTALMENT_SOURCES: dict[str, InstalmentSource] = {}


def register_instalment_source(name: str, source: InstalmentSource) -> None:
    INSTALMENT_SOURCES[name] = source


def _module(name: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None  # that domain is not installed
        raise


def entry_reader(session: Session):
    """Decoded ledger entries by index, cached for one computation."""
    store, conn, cache = get_ledger().store, session.connection(), {}

    def read(index: int) -> dict:
        if index not in cache:
            e = decode_entry(store.entry(conn, index))
            cache[index] = {"event": e.event, "index": e.index, "signer": e.signer}
        return cache[index]

    return read


def gather(session: Session, factory: Factory, as_of: datetime) -> F.Facts:
    start = as_of - timedelta(days=HISTORY_DAYS)
    facts = F.Facts(as_of=as_of, machines=len(factory.machines))
    read = entry_reader(session)
    _telemetry(session, factory, start, as_of, facts)
    sales_by_order = _sales(session, factory, start, as_of, facts)
    _production(session, factory, start, as_of, facts, sales_by_order)
    _cancellations(session, factory, start, as_of, facts)
    _payments(session, factory, start, as_of, facts)
    _instalments(session, factory, facts)
    dated = [(s.accepted_at, s.ledger_index, "quote.accepted") for s in facts.sales if s.ledger_index is not None]
    dated += [(d.delivered_at, d.ledger_index, "delivery.confirmed") for d in facts.deliveries if d.ledger_index is not None]
    if dated:  # tenure: the earliest activity of the factory the ledger can show
        at, index, typ = min(dated, key=lambda x: x[0])
        facts.first_event = F.Event("first", datetime.fromisoformat(read(index)["event"]["when"].replace("Z", "+00:00")),
                                    index, typ)
    return facts


def _telemetry(session, factory, start, end, facts: F.Facts) -> None:
    queries = _module("market.telemetry.queries")
    if queries is None:
        return
    from market.telemetry.models import FactoryDay

    days = {d.day: d for d in queries.factory_oee_days(session, factory.id, start.date(), end.date())}
    rows = session.scalars(select(FactoryDay).where(FactoryDay.factory_id == factory.id, FactoryDay.day.in_(list(days))))
    for row in rows:
        p = row.committed or {}
        if row.ledger_index is None or not p:
            continue
        facts.oee_days.append(F.OeeDay(row.day, p.get("planned_s", 0), p.get("run_s", 0), p.get("total", 0),
                                       p.get("good", 0), p.get("ideal_work_ms"), p.get("ideal_run_s", 0),
                                       row.ledger_index, p, row.salt))
    facts.down_intervals = [(d.start, d.end) for d in queries.factory_downtime(session, factory.id, start, end)]
    u = queries.capacity_utilization(session, factory.id, end - timedelta(days=90), end)
    facts.offered_s, facts.booked_s = u.offered_s, u.booked_s


def _sales(session, factory, start, end, facts: F.Facts) -> dict:
    queries = _module("market.matching.queries")
    if queries is None:
        return {}
    out = {}
    rows = queries.factory_sales(session, factory.id, start, end)
    payments = _module("market.payments.queries")
    captured = payments.captured_orders(session, [s.order_id for s in rows]) if payments is not None else {}
    for s in rows:
        index = captured.get(s.order_id)
        paid = F.Ref(index, "event.what.order", "payment.captured") if index is not None else None
        sale = F.Sale(str(s.order_id), str(s.buyer_org_id), s.accepted_at, s.amount_minor, s.currency,
                      s.ledger_index, s.payload, s.salt, commitment_path=_share_path(session, s, factory), paid_ref=paid)
        facts.sales.append(sale)
        out[str(s.order_id)] = sale
    return out


def _share_path(session, sale, factory) -> str:
    """The quote.accepted entry carries one commitment per factory share: find ours."""
    from ledger.disclosure import commit

    entry = entry_reader(session)(sale.ledger_index)
    target = commit(sale.payload, sale.salt)
    for i, share in enumerate(entry["event"].get("data", {}).get("shares", [])):
        if share.get("commitment") == target:
            return f"event.data.shares.{i}.commitment"
    return "event.data.commitment"


def _production(session, factory, start, end, facts: F.Facts, sales: dict) -> None:
    queries = _module("market.production.queries")
    if queries is None:
        return
    for d in queries.factory_deliveries(session, factory.id, start, end):
        sale = sales.get(str(d.order_id))
        # the promise the buyer accepted is on the ledger in the quote.accepted entry
        promised = F.Ref(sale.ledger_index, "event.data.promised", "quote.accepted") if sale else None
        facts.deliveries.append(F.Delivery(str(d.order_id), d.promised_at, d.delivered_at, d.ledger_index, promised))
    for q in queries.factory_qc(session, factory.id, start, end):
        facts.qc.append(F.QcRecord(str(q.lot_id), q.result, q.recorded_at, q.ledger_index))


def _cancellations(session, factory, start, end, facts: F.Facts) -> None:
    queries = _module("market.matching.queries")
    if queries is None or not hasattr(queries, "factory_cancellations"):
        return
    facts.cancellations = [F.Event(str(c.order_id), c.cancelled_at, c.ledger_index, "order.state_changed",
                                   "event.data.to", "cancelled")
                           for c in queries.factory_cancellations(session, factory.id, start, end)]


def _payments(session, factory, start, end, facts: F.Facts) -> None:
    queries = _module("market.payments.queries")
    if queries is None or not hasattr(queries, "factory_disputes"):
        return
    from market.orders.models import Order

    records = queries.factory_disputes(session, factory.id, start, end)
    # disputes name orders by public id; sales are keyed by the internal one
    ids = dict(session.execute(select(Order.public_id, Order.id).where(
        Order.public_id.in_([d.order_id for d in records]))).all()) if records else {}
    facts.disputes = [F.Event(str(ids[d.order_id]), d.opened_at, d.opened_ledger_index, "dispute.opened",
                              "event.type", "dispute.opened") for d in records if d.order_id in ids]


def _instalments(session, factory, facts: F.Facts) -> None:
    apps = session.scalars(select(FinancingApplication).where(FinancingApplication.factory_id == factory.id,
                                                              FinancingApplication.disbursed_at.is_not(None)))
    for app in apps:
        schedule = app.disbursement_payload or {}
        for r in app.repayments:
            k = r.seq - 1
            sref = F.Ref(app.disbursement_ledger_index, f"schedule.{k}.due_by", "financing.disbursed",
                         schedule, app.disbursement_salt) if app.disbursement_ledger_index is not None else None
            pref = (F.Ref(r.ledger_index, "paid_at", "financing.repaid", r.committed, r.salt)
                    if r.ledger_index is not None and r.committed else None)
            facts.instalments.append(F.Instalment(r.due_on, r.paid_at, sref, pref))
    for source in INSTALMENT_SOURCES.values():
        facts.instalments.extend(source(session, factory))
