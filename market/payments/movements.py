"""Money movements and their ledger entries, and the provider calls that wait for the commit:
the steps both the order's side (services) and the provider's side (execution, webhooks) take."""
from __future__ import annotations

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.disclosure import new_salt
from market.accounts.models import Organization
from market.catalog.models import Factory
from market import db
from market.db import utcnow
from market.orders.models import Order
from market.payments import events
from market.payments.models import Movement, Payment, Payout
from market.journal.ledger import record

AFTER_COMMIT = "payments_after_commit"
log = logging.getLogger("market.payments")


def new_movement(s: Session, payment: Payment, kind: str, amount: int, *, payout: Payout | None = None,
                 reason: str = "", state: str = "pending", external_id: str | None = None, attempt: int = 1) -> Movement:
    m = Movement(order_id=payment.order_id, payout_id=payout.id if payout else None,
                 factory_id=payout.factory_id if payout else None, kind=kind, state=state, amount_minor=amount,
                 currency=payment.currency, provider=payment.provider, external_id=external_id, attempt=attempt,
                 reason=reason, salt=new_salt(), public_id=uuid.uuid4())
    if state == "succeeded":
        m.done_at = utcnow()
    payment.movements.append(m)  # the collection stays current within this transaction
    s.flush()
    return m


def post_to_ledger(s: Session, order: Order, movements: list[Movement], extra=()) -> None:
    """Record the succeeded movements (and any extra events) on the ledger; keep each index."""
    factories = {f.id: f for f in s.scalars(select(Factory).where(
        Factory.id.in_({m.factory_id for m in movements if m.factory_id})))}
    orgs = {o.id: o for o in s.scalars(select(Organization).where(
        Organization.id.in_({f.organization_id for f in factories.values()} | {order.buyer_org_id})))}
    built = []
    for m in movements:
        factory = factories.get(m.factory_id)
        org = orgs[factory.organization_id if factory else order.buyer_org_id]
        built.append(events.movement_event(m, order, str(org.public_id), str(factory.public_id) if factory else None))
    entries = record(s, *built, *extra)
    for m, entry in zip(movements, entries):
        m.ledger_index = entry.index
    return entries[len(movements):]


def after_commit(s: Session, fn) -> None:
    """Run `fn()` once this session's transaction has committed (never if it rolls back).
    Provider calls go here: no network call while the order row is locked."""
    db.after_commit(s, AFTER_COMMIT, fn, _run_all)


def _run_all(fns: list) -> None:
    for fn in fns:
        _logged(fn)()


def _logged(fn):
    def run():
        try:
            fn()
        except Exception:  # the state change is committed; the cron retries what is left
            log.exception("payment step after commit failed; `market payments retry` will finish it")
    return run
