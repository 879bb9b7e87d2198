"""A lender's portfolio: what it carries, by product (assigned receivables, leases, other
financing, and any product that registered an exposure source), by the grade of its own
latest credit report on each factory, and by the factory's region; the alerts on it (the
consented-data alerts of credit.alerts, and contracts overdue or in recourse); and what it
waits for from others (the buyer's confirmation of an assigned payable, the lessee's
signature of a lease offer, consents about to lapse).

A lender sees only the contracts it carries itself: every figure is read with its own
organization as the lender (credit.exposure.lines(lender_org_id=...)). Other organizations
are refused; operators, who carry nothing, too."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from market import errors, policy
from market.auth import Actor
from market.catalog.models import Factory
from market.credit import alerts as alerts_mod
from market.credit import exposure
from market.credit.access import live_consent
from market.credit.models import Consent, CreditReport
from market.db import unit_of_work, utcnow

CONSENT_LAPSING = timedelta(days=14)  # a consent ending within this is shown as pending renewal
UNRATED = "unrated"


@dataclass
class Pending:
    kind: str  # buyer_confirmation | lessee_signature | consent_renewal
    product: str | None
    contract: str | None
    factory_id: str
    factory_name: str
    until: datetime | None = None


@dataclass
class Portfolio:
    currency: str
    products: dict[str, exposure.Total]
    grades: dict[str, exposure.Total]
    regions: dict[str, exposure.Total]
    total: exposure.Total
    factories: list[dict] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)

    def to_dict(self) -> dict:
        def rows(d: dict, key: str) -> list[dict]:
            return [{key: k, **t.to_dict()} for k, t in d.items()]

        return {"currency": self.currency, "total": self.total.to_dict(), "by_product": rows(self.products, "product"),
                "by_grade": rows(self.grades, "grade"), "by_region": rows(self.regions, "region"),
                "factories": self.factories, "alerts": self.alerts,
                "pending": [p.__dict__ for p in self.pending]}


def _grade_order(grade: str) -> int:
    return alerts_mod.RANK.get(grade, len(alerts_mod.RANK))


def portfolio(actor: Actor, *, currency: str = "CNY", now: datetime | None = None) -> Portfolio:
    policy.require_kind(actor, "lender")
    if actor.is_operator:
        raise errors.refusal(errors.Forbidden, _l("A portfolio is a lender's own: operators carry none."))
    now = now or utcnow()
    today = now.date()
    with unit_of_work() as s:
        lines = exposure.lines(s, lender_org_id=actor.org_id, today=today)
        consents = list(s.scalars(select(Consent).where(live_consent(actor, now))).unique())
        factory_ids = {ln.factory_id for ln in lines} | {c.factory_id for c in consents}
        factories = {f.id: f for f in s.scalars(select(Factory).where(Factory.id.in_(factory_ids)))} if factory_ids else {}
        grades: dict[int, str] = {}
        for rep in s.scalars(select(CreditReport).where(CreditReport.lender_org_id == actor.org_id,
                                                        CreditReport.factory_id.in_(factory_ids))
                             .order_by(CreditReport.created_at)).unique() if factory_ids else ():
            grades[rep.factory_id] = rep.grade or UNRATED  # the latest wins
        by_product = exposure.by_product((), currency)
        by_grade: dict[str, exposure.Total] = defaultdict(exposure.Total)
        by_region: dict[str, exposure.Total] = defaultdict(exposure.Total)
        per_factory: dict[int, exposure.Total] = defaultdict(exposure.Total)
        total = exposure.Total()
        pending: list[Pending] = []
        for ln in lines:
            f = factories[ln.factory_id]
            if ln.awaiting:
                pending.append(Pending(ln.awaiting, ln.product, ln.contract, str(f.public_id), f.name))
            if ln.currency != currency:
                continue
            for bucket in (by_product.setdefault(ln.product, exposure.Total()), by_grade[grades.get(ln.factory_id, UNRATED)], by_region[f.region or ""],
                           per_factory[ln.factory_id], total):
                bucket.add(ln)
        lapsing = {}
        for c in consents:
            if c.valid_until - now <= CONSENT_LAPSING and c.factory_id not in lapsing:
                lapsing[c.factory_id] = c
        for c in sorted(lapsing.values(), key=lambda c: c.valid_until):
            f = factories[c.factory_id]
            pending.append(Pending("consent_renewal", None, str(c.public_id), str(f.public_id), f.name, c.valid_until))
        rows = [{"factory_id": str(f.public_id), "name": f.name, "region": f.region,
                 "grade": grades.get(fid), **per_factory[fid].to_dict()}
                for fid, f in sorted(factories.items(), key=lambda x: x[1].name)]
        overdue = [{"kind": "overdue", "factory_id": str(factories[ln.factory_id].public_id),
                    "factory_name": factories[ln.factory_id].name, "product": ln.product, "contract": ln.contract,
                    "overdue_minor": ln.overdue_minor, "currency": ln.currency,
                    "recourse": "recourse" in ln.flags}
                   for ln in lines if ln.overdue and (ln.live or ln.overdue_minor)]
    watched = [{"kind": a.kind, "factory_id": a.factory_id, "factory_name": a.factory_name, "at": a.at.isoformat(),
                "facts": a.facts} for a in alerts_mod.lender_alerts(actor, now)]
    return Portfolio(currency, by_product, dict(sorted(by_grade.items(), key=lambda x: _grade_order(x[0]))),
                     dict(sorted(by_region.items())), total, rows, overdue + watched, pending)
