"""Insurance policies in credit: each issued policy is a line of the factory's exposure
(credit.exposure), carried by its insurer. Outstanding: the premiums invoiced and not paid;
overdue: those of them past their due day. Behaviour per premium: paid on time, paid late,
unpaid past due. A policy offered and not yet accepted waits for the insured's acceptance.
The sum insured is cover the factory holds, not money it owes: it is not counted."""
from __future__ import annotations

from datetime import date

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.credit import exposure
from market.insurance.models import Policy, PremiumInvoice

PRODUCT = "policies"


def exposure_lines(session: Session, factory_ids: list[int] | None, insurer_org_id: int | None,
                   today: date) -> list[exposure.Line]:
    q = select(Policy).where(Policy.status.in_(("offered", "active", "ended")))
    if factory_ids is not None:
        q = q.where(Policy.factory_id.in_(factory_ids))
    if insurer_org_id is not None:
        q = q.where(Policy.insurer_org_id == insurer_org_id)
    policies = list(session.scalars(q.order_by(Policy.id)).unique())
    premiums: dict[int, list[PremiumInvoice]] = {}
    if policies:
        for inv in session.scalars(select(PremiumInvoice).where(
                PremiumInvoice.policy_id.in_([p.id for p in policies]))).unique():
            premiums.setdefault(inv.policy_id, []).append(inv)
    out = []
    for policy in policies:
        if policy.status == "offered":
            out.append(exposure.Line(PRODUCT, policy.factory_id, policy.insurer_org_id, str(policy.public_id),
                                     policy.currency, 0, live=False, awaiting="insured_acceptance"))
            continue
        rows = premiums.get(policy.id, [])
        paid = [i for i in rows if i.status == "paid"]
        unpaid = [i for i in rows if i.status != "paid"]
        past_due = [i for i in unpaid if i.status == "overdue" or i.due_on < today]
        on_time = sum(1 for i in paid if i.paid_at is not None and i.paid_at.date() <= i.due_on)
        out.append(exposure.Line(PRODUCT, policy.factory_id, policy.insurer_org_id, str(policy.public_id),
                                 policy.currency, sum(i.premium_minor for i in unpaid),
                                 sum(i.premium_minor for i in past_due), on_time, len(paid) - on_time, len(past_due),
                                 live=policy.status == "active" or bool(unpaid)))
    return out


def init_app(app: Flask) -> None:
    exposure.AWAITING.setdefault("insured_acceptance", _l("The insured has not accepted the policy offer yet."))
    exposure.register_exposure_source(PRODUCT, exposure_lines, label=_l("Insurance policies"))
