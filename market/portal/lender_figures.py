"""What a credit officer asks first: how much is lent and still owed, what needs a decision,
which instalments are late, how many factories let us read their data, and the alerts on
them. A summary: the lender's pages hold the detail. `now` is passed in (tests inject it)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from market.auth import Actor
from market.credit.access import live_consent
from market.credit.models import Consent, FinancingApplication, Repayment
from market.db import unit_of_work


@dataclass
class LenderFigures:
    consenting_factories: int
    awaiting_decision: int
    exposure: dict[str, int] = field(default_factory=dict)  # currency -> instalments not yet repaid on disbursed financing
    overdue_instalments: int = 0
    overdue: dict[str, int] = field(default_factory=dict)  # currency -> of the exposure, past due
    alerts: int = 0


def lender_figures(actor: Actor, now: datetime) -> LenderFigures:
    from market.credit.alerts import lender_alerts  # the lender's /credit page shows the same alerts

    today = now.date()
    with unit_of_work() as s:
        consenting = s.scalar(select(func.count(func.distinct(Consent.factory_id))).where(live_consent(actor, now))) or 0
        mine = FinancingApplication.lender_org_id == actor.org_id
        awaiting = s.scalar(select(func.count()).select_from(FinancingApplication)
                            .where(mine, FinancingApplication.status == "submitted")) or 0
        exposure: dict[str, int] = defaultdict(int)
        overdue: dict[str, int] = defaultdict(int)
        late = 0
        for currency, due_on, amount in s.execute(
                select(FinancingApplication.currency, Repayment.due_on, Repayment.amount_minor)
                .join(Repayment, Repayment.application_id == FinancingApplication.id)
                .where(mine, FinancingApplication.status == "disbursed", Repayment.paid_at.is_(None))):
            exposure[currency] += amount
            if due_on < today:
                overdue[currency] += amount
                late += 1
    return LenderFigures(consenting, awaiting, dict(exposure), late, dict(overdue), len(lender_alerts(actor, now)))
