"""Premiums: one invoice per monthly period, priced when the period starts (its previous day is
closed) by the tariff from the rating window before it; the quote with every factor is
committed on the ledger, so the insured sees (and can show) why the premium moved."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ledger.disclosure import new_salt
from market import bus, errors, policy
from market.auth import Actor
from market.db import unit_of_work, utcnow, write_lock
from market.insurance import events as ev
from market.insurance import rating, tariff
from market.insurance.domain_events import PremiumInvoiced
from market.insurance.models import Policy, PremiumInvoice
from market.insurance.services import find
from market.insurance.terms import PREMIUM_DUE_DAYS
from market.journal.ledger import record
from market.leasing.terms import period
from market.telemetry import calendar as cal
from market.telemetry.rollup import offline_after


def last_closed(factory, now: datetime):
    """The latest local day of the factory whose summaries are final (telemetry.rollup's rule)."""
    return cal.local_day(now - offline_after(), factory.timezone) - timedelta(days=1)


def _invoice(s, p: Policy, n: int, now: datetime) -> PremiumInvoice:
    start, end = period(p.start_day, n)
    quote = rating.quote(s, p.machine, p.coverage, p.sum_insured_minor, start)
    inv = PremiumInvoice(public_id=uuid.uuid4(), policy_id=p.id, period_no=n, period_start=start, period_end=end,
                         premium_minor=quote["premium_minor"], quote=quote,
                         due_on=start + timedelta(days=PREMIUM_DUE_DAYS), status="open", created_at=now,
                         salt=new_salt())
    inv.policy = p
    inv.committed = {"policy": str(p.public_id), "invoice": str(inv.public_id), "period": n,
                     "start": start.isoformat(), "end": end.isoformat(), "currency": p.currency,
                     "due_on": inv.due_on.isoformat(), **quote}
    s.add(inv)
    return inv


def issue_premiums(now: datetime | None = None) -> int:
    """Periodic: invoice every period of every active policy whose start has come (the day
    before it is closed, so its rating window is final) and is not yet invoiced."""
    now = now or utcnow()
    with unit_of_work() as s:
        write_lock(s)
        issued = []
        for p in s.scalars(select(Policy).where(Policy.status == "active").with_for_update(of=Policy)).unique():
            have = set(s.scalars(select(PremiumInvoice.period_no).where(PremiumInvoice.policy_id == p.id)))
            last = last_closed(p.factory, now)
            for n in range(p.term_months):
                if period(p.start_day, n)[0] - timedelta(days=1) > last:
                    break
                if n not in have:
                    issued.append(_invoice(s, p, n, now))
        if issued:
            s.flush()
            for inv, entry in zip(issued, record(s, *[ev.premium_invoiced(inv, now) for inv in issued])):
                inv.ledger_index = entry.index
            bus.publish(s, *[PremiumInvoiced(inv.id) for inv in issued])
        s.commit()
        return len(issued)


def invoices_of(actor: Actor, policy_id: uuid.UUID) -> list[PremiumInvoice]:
    with unit_of_work() as s:
        p = find(s, actor, policy_id)
        return list(s.scalars(select(PremiumInvoice).where(PremiumInvoice.policy_id == p.id)
                              .order_by(PremiumInvoice.period_no)).unique())


def explained(invoices: list[PremiumInvoice]) -> list[dict]:
    """Per invoice, each factor beside the previous period's: why the premium moved."""
    out, previous = [], None
    for inv in invoices:
        out.append({"invoice": inv, "factors": tariff.moves(previous, inv.quote),
                    "previous_minor": previous["premium_minor"] if previous else None})
        previous = inv.quote
    return out


def record_payment(actor: Actor, invoice_id: uuid.UUID, *, now: datetime | None = None) -> PremiumInvoice:
    """The insurer confirms it received the period's premium."""
    now = now or utcnow()
    with unit_of_work() as s:
        write_lock(s)
        inv = policy.one_row(s, PremiumInvoice, invoice_id, missing=_l("No such invoice."), lock=True)
        find(s, actor, inv.policy.public_id)  # the same 404 as the policy for anyone else
        if inv.policy.insurer_org_id != actor.org_id:
            raise errors.refusal(errors.Forbidden, _l("Only the insurer confirms a premium received."))
        if inv.status == "paid":
            raise errors.refusal(errors.Conflict, _l("This invoice is already paid."))
        inv.status, inv.paid_at = "paid", now
        inv.paid_ledger_index = record(s, ev.premium_paid(inv, now))[0].index
        s.commit()
        return inv
