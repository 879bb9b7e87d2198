"""What lenders already carry on a factory, product by product, and how it has been repaid.

Each financing product reports its contracts as `Line`s: who carries it (the lender or
lessor organization), the factory it is on, what is still outstanding and overdue, and the
repayment behaviour of its instalments (paid on time, paid late, unpaid past due). Credit
reads them for the report's `exposure` (the suggested line is reduced by the total) and for
the lender's portfolio (exposure by product, grade and region).

Products below credit are read here directly (assigned receivables: payments; other
financing: our own tables). Products owned by a higher layer register a source at start-up
(create_app), as leasing does for its leases (market/leasing/credit_facts.py), so credit
never imports them. A new product (insurance policies, say) joins by calling
`register_exposure_source("policies", source, label=_l("Insurance policies"))`: the report,
the line and the portfolio then count it with no change here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.credit.models import FinancingApplication
from market.payments.models import PayoutAssignment

RECEIVABLES, FINANCING = "receivables", "financing"
# consents a lender waits for on a contract: the buyer's confirmation of an assigned payable,
# the lessee's signature of an offered lease (a product registering a source may add its own)
AWAITING = {"buyer_confirmation": _l("The buyer has not confirmed the payable yet."),
            "lessee_signature": _l("The lessee has not signed the lease offer yet.")}


@dataclass(frozen=True)
class Line:
    """One contract of one product: what is still owed on it, in minor units of `currency`."""
    product: str
    factory_id: int
    lender_org_id: int
    contract: str  # the contract's public id
    currency: str
    outstanding_minor: int
    overdue_minor: int = 0
    on_time: int = 0  # instalments paid by their due day
    late: int = 0  # paid after their due day
    overdue: int = 0  # unpaid past their due day
    live: bool = True  # still carried (False: closed, kept for its behaviour)
    flags: tuple[str, ...] = ()  # e.g. unconfirmed_by_buyer, recourse
    awaiting: str | None = None  # another party's consent this contract waits for (AWAITING)


# Source(session, factory_ids or None for all, lender org id or None for all, today) -> lines
ExposureSource = Callable[[Session, "list[int] | None", "int | None", date], Iterable[Line]]


@dataclass
class _Registered:
    source: ExposureSource
    label: object = None  # a lazy string naming the product for people


SOURCES: dict[str, _Registered] = {}


def register_exposure_source(name: str, source: ExposureSource, *, label=None) -> None:
    """A product of a higher layer joins the exposure (keyed by name: registering again replaces)."""
    SOURCES[name] = _Registered(source, label)


def label(product: str) -> str:
    known = {RECEIVABLES: _l("Assigned receivables"), FINANCING: _l("Other financing")}
    reg = SOURCES.get(product)
    return str(known.get(product) or (reg.label if reg and reg.label is not None else product))


def _receivables(s: Session, factory_ids, lender_org_id, today: date) -> list[Line]:
    q = select(PayoutAssignment).where(PayoutAssignment.state.in_(("disbursing", "active", "recourse", "settled")))
    if factory_ids is not None:
        q = q.where(PayoutAssignment.factory_id.in_(factory_ids))
    if lender_org_id is not None:
        q = q.where(PayoutAssignment.assignee_org_id == lender_org_id)
    out = []
    for a in s.scalars(q.order_by(PayoutAssignment.id)):
        live = a.state != "settled"
        past_due = a.due_on is not None and a.due_on < today
        overdue = live and (a.state == "recourse" or past_due)
        on_time = late = 0
        if a.state == "settled":
            paid_on = a.settled_at.date() if a.settled_at else today
            on_time, late = (1, 0) if a.due_on is None or paid_on <= a.due_on else (0, 1)
        flags = tuple(f for f, yes in (("unconfirmed_by_buyer", a.buyer_confirmed_at is None),
                                       ("recourse", a.state == "recourse")) if yes)
        out.append(Line(RECEIVABLES, a.factory_id, a.assignee_org_id, str(a.public_id), a.currency,
                        a.outstanding_minor if live else 0, a.outstanding_minor if overdue else 0,
                        on_time, late, int(overdue), live, flags,
                        "buyer_confirmation" if live and a.buyer_confirmed_at is None else None))
    return out


def _financing(s: Session, factory_ids, lender_org_id, today: date) -> list[Line]:
    """Disbursed financing other than order advances (those are the assigned receivables)."""
    q = select(FinancingApplication).where(FinancingApplication.kind != "order",
                                           FinancingApplication.status.in_(("disbursed", "repaid")))
    if factory_ids is not None:
        q = q.where(FinancingApplication.factory_id.in_(factory_ids))
    if lender_org_id is not None:
        q = q.where(FinancingApplication.lender_org_id == lender_org_id)
    out = []
    for app in s.scalars(q.order_by(FinancingApplication.id)).unique():
        unpaid = [r for r in app.repayments if r.paid_at is None]
        late_unpaid = [r for r in unpaid if r.due_on < today]
        paid = [r for r in app.repayments if r.paid_at is not None]
        on_time = sum(1 for r in paid if r.paid_at.date() <= r.due_on)
        out.append(Line(FINANCING, app.factory_id, app.lender_org_id, str(app.public_id), app.currency,
                        sum(r.amount_minor for r in unpaid), sum(r.amount_minor for r in late_unpaid),
                        on_time, len(paid) - on_time, len(late_unpaid), app.status == "disbursed"))
    return out


def lines(s: Session, *, factory_ids: list[int] | None = None, lender_org_id: int | None = None,
          today: date) -> list[Line]:
    """Every product's lines on these factories (None: all) carried by this lender (None: any)."""
    out = _receivables(s, factory_ids, lender_org_id, today) + _financing(s, factory_ids, lender_org_id, today)
    for reg in SOURCES.values():
        out.extend(reg.source(s, factory_ids, lender_org_id, today))
    return out


@dataclass
class Total:
    contracts: int = 0  # live ones
    outstanding_minor: int = 0
    overdue_minor: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    flags: dict = field(default_factory=dict)

    def add(self, line: Line) -> None:
        self.contracts += line.live
        self.outstanding_minor += line.outstanding_minor
        self.overdue_minor += line.overdue_minor
        self.on_time += line.on_time
        self.late += line.late
        self.overdue += line.overdue
        for f in line.flags if line.live else ():
            self.flags[f] = self.flags.get(f, 0) + 1

    def to_dict(self) -> dict:
        return {"contracts": self.contracts, "outstanding_minor": self.outstanding_minor,
                "overdue_minor": self.overdue_minor,
                "behaviour": {"on_time": self.on_time, "late": self.late, "overdue": self.overdue}}


def by_product(ls: Iterable[Line], currency: str) -> dict[str, Total]:
    """Per product (every known product present, even at zero), in one currency."""
    out = {p: Total() for p in (RECEIVABLES, FINANCING, *SOURCES)}
    for line in ls:
        if line.currency == currency:
            out.setdefault(line.product, Total()).add(line)
    return out


def report_exposure(s: Session, factory_id: int, currency: str, today: date) -> dict:
    """The report's `exposure`: per product outstanding, overdue and repayment behaviour; the
    total outstanding is what the suggested line is reduced by."""
    products = by_product(lines(s, factory_ids=[factory_id], today=today), currency)
    rec, fin = products[RECEIVABLES], products[FINANCING]
    leases = products.get("leases", Total())
    behaviour = Total()
    for t in products.values():
        behaviour.on_time, behaviour.late, behaviour.overdue = (behaviour.on_time + t.on_time,
                                                                behaviour.late + t.late, behaviour.overdue + t.overdue)
    return {"assigned_receivables_minor": rec.outstanding_minor, "assigned_receivables": rec.contracts,
            "unconfirmed_by_buyer": rec.flags.get("unconfirmed_by_buyer", 0),
            "in_recourse": rec.flags.get("recourse", 0),
            "other_financing_minor": fin.outstanding_minor,
            "leases_minor": leases.outstanding_minor, "leases": leases.contracts,
            "overdue_minor": sum(t.overdue_minor for t in products.values()),
            "total_minor": sum(t.outstanding_minor for t in products.values()),
            "behaviour": {"on_time": behaviour.on_time, "late": behaviour.late, "overdue": behaviour.overdue},
            "products": {name: t.to_dict() for name, t in products.items()}}
