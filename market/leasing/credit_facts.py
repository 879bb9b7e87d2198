"""Rent as repayment behaviour in credit reports: each invoiced period is an instalment whose
due instant is disclosed from its `lease.rent_invoiced` commitment and whose payment is the
`lease.rent_paid` entry's time, so the lender re-verifies the late share like any other."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.catalog.models import Factory
from market.credit import facts
from market.credit.features import Instalment, Ref
from market.leasing.models import Lease, RentInvoice


def instalments(session: Session, factory: Factory) -> list[Instalment]:
    rows = session.scalars(select(RentInvoice).join(Lease, RentInvoice.lease_id == Lease.id).where(
        Lease.factory_id == factory.id, RentInvoice.ledger_index.is_not(None))).unique()
    return [Instalment(inv.due_on, inv.paid_at,
                       Ref(inv.ledger_index, "due_by", "lease.rent_invoiced", inv.committed, inv.salt),
                       Ref(inv.paid_ledger_index, "event.when", "lease.rent_paid")
                       if inv.paid_ledger_index is not None else None)
            for inv in rows]


def init_app(app: Flask) -> None:
    facts.register_instalment_source("leasing", instalments)
