"""Leases in credit: rent as repayment behaviour in the credit features (each invoiced period
is an instalment whose due instant is disclosed from its `lease.rent_invoiced` commitment and
whose payment is the `lease.rent_paid` entry's time, so the lender re-verifies the late share
like any other; rent unpaid past its due day counts late), and leases as exposure in the
report and the lender's portfolio (credit.exposure)."""
from __future__ import annotations

from datetime import date

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from market.catalog.models import Factory
from market.credit import exposure, facts
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


def exposure_lines(session: Session, factory_ids: list[int] | None, lessor_org_id: int | None,
                   today: date) -> list[exposure.Line]:
    """One line per disbursed lease. Outstanding: the lessor's money not yet recovered by rent
    (disbursed − rent paid), and never less than the rent invoiced and unpaid; overdue: the
    rent of overdue invoices (and of open ones past their due day, before the periodic marking).
    Behaviour per invoice: paid on time, paid late, unpaid past due. An offer not yet signed is
    a line with nothing outstanding that awaits the lessee's signature."""
    q = select(Lease).where(or_(Lease.disbursed_at.is_not(None), Lease.status == "offered"))
    if factory_ids is not None:
        q = q.where(Lease.factory_id.in_(factory_ids))
    if lessor_org_id is not None:
        q = q.where(Lease.lessor_org_id == lessor_org_id)
    leases = list(session.scalars(q.order_by(Lease.id)).unique())
    invoices: dict[int, list[RentInvoice]] = {}
    if leases:
        for inv in session.scalars(select(RentInvoice).where(RentInvoice.lease_id.in_([x.id for x in leases]))).unique():
            invoices.setdefault(inv.lease_id, []).append(inv)
    out = []
    for lease in leases:
        if lease.status == "offered":  # nothing carried yet: the lessor waits for the lessee's signature
            out.append(exposure.Line("leases", lease.factory_id, lease.lessor_org_id, str(lease.public_id),
                                     lease.currency, 0, live=False, awaiting="lessee_signature"))
            continue
        rows = invoices.get(lease.id, [])
        paid = [i for i in rows if i.status == "paid"]
        unpaid = [i for i in rows if i.status != "paid"]
        late_unpaid = [i for i in unpaid if i.status == "overdue" or i.due_on < today]
        paid_minor = sum(i.rent_minor for i in paid)
        unpaid_minor = sum(i.rent_minor for i in unpaid)
        live = lease.status == "active"
        outstanding = max((lease.disbursed_minor or 0) - paid_minor, unpaid_minor) if live else unpaid_minor
        on_time = sum(1 for i in paid if not i.days_late)
        out.append(exposure.Line("leases", lease.factory_id, lease.lessor_org_id, str(lease.public_id), lease.currency,
                                 outstanding, sum(i.rent_minor for i in late_unpaid), on_time, len(paid) - on_time,
                                 len(late_unpaid), live or bool(unpaid)))
    return out


def init_app(app: Flask) -> None:
    facts.register_instalment_source("leasing", instalments)
    exposure.register_exposure_source("leases", exposure_lines, label=_l("Leases"))
