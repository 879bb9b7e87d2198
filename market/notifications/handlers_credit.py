"""Listeners to credit (market/credit/domain_events.py): a lender learns of consents given,
withdrawn or ending and of alerts on the factories it watches; a factory learns who was issued
a report on it, how its financing was decided and paid out, and of instalments due or late.
Each side reads only its own relationship: a lender never learns of another lender."""
from __future__ import annotations

from market.accounts.models import Organization
from market.catalog.models import Factory
from market.credit.domain_events import (ConsentExpiring, ConsentGranted, ConsentRevoked, CreditReportIssued,
                                         FinancingDecided, FinancingDisbursed, InstalmentDue, InstalmentOverdue,
                                         LenderAlertRaised)
from market.credit.models import Consent, FinancingApplication, Repayment
from market.db import unit_of_work
from market.i18n import money
from market.notifications import recipients as who
from market.notifications.telling import save, tell, when

LINK = ("credit", "")


def _names(s, factory_id: int, lender_org_id: int) -> tuple[Factory, dict]:
    factory = s.get(Factory, factory_id)
    return factory, {"factory": factory.name, "lender": s.get(Organization, lender_org_id).name}


def on_consent_granted(event: ConsentGranted) -> None:
    with unit_of_work() as s:
        _, names = _names(s, event.factory_id, event.lender_org_id)
        params = {"factory": names["factory"], "purpose": event.purpose, "until": when(event.valid_until)}
        save(s, tell(who.members(s, [event.lender_org_id]), "consent.granted", params), LINK)


def on_consent_revoked(event: ConsentRevoked) -> None:
    with unit_of_work() as s:
        consent = s.get(Consent, event.consent_id)
        _, names = _names(s, event.factory_id, event.lender_org_id)
        params = {"factory": names["factory"], "purpose": consent.purpose}
        save(s, tell(who.members(s, [event.lender_org_id]), "consent.revoked", params), LINK)


def on_consent_expiring(event: ConsentExpiring) -> None:
    with unit_of_work() as s:
        consent = s.get(Consent, event.consent_id)
        if consent is None or consent.revoked_at is not None:  # withdrawn since the scan
            return
        factory, names = _names(s, event.factory_id, event.lender_org_id)
        params = {**names, "purpose": consent.purpose, "until": when(event.valid_until)}
        users = who.members(s, [factory.organization_id, event.lender_org_id])
        save(s, tell(users, "consent.expiring", params), LINK)


def on_report_issued(event: CreditReportIssued) -> None:
    with unit_of_work() as s:
        factory, names = _names(s, event.factory_id, event.lender_org_id)
        save(s, tell(who.members(s, [factory.organization_id]), "credit.report_issued", names), LINK)


def on_financing_decided(event: FinancingDecided) -> None:
    with unit_of_work() as s:
        app = s.get(FinancingApplication, event.application_id)
        factory, names = _names(s, event.factory_id, event.lender_org_id)
        params = {"lender": names["lender"], "applied": money(app.amount_minor, app.currency), "state": event.status}
        save(s, tell(who.members(s, [factory.organization_id]), "financing.decided", params), LINK)


def on_financing_disbursed(event: FinancingDisbursed) -> None:
    with unit_of_work() as s:
        app = s.get(FinancingApplication, event.application_id)
        factory, names = _names(s, event.factory_id, event.lender_org_id)
        first = min(app.repayments, key=lambda r: r.seq, default=None)
        params = {"lender": names["lender"], "amount": money(app.approved_amount_minor, app.currency),
                  "due": when(first.due_on if first else None)}
        save(s, tell(who.members(s, [factory.organization_id]), "financing.disbursed", params), LINK)


def _instalment(s, repayment_id: int):
    """The instalment and its financing, or None once it is paid (since the scan)."""
    r = s.get(Repayment, repayment_id)
    if r is None or r.paid_at is not None:
        return None
    return r, s.get(FinancingApplication, r.application_id)


def on_instalment_due(event: InstalmentDue) -> None:
    with unit_of_work() as s:
        found = _instalment(s, event.repayment_id)
        if found is None:
            return
        r, app = found
        factory, names = _names(s, app.factory_id, app.lender_org_id)
        params = {"lender": names["lender"], "seq": r.seq, "amount": money(r.amount_minor, app.currency),
                  "due": when(r.due_on)}
        save(s, tell(who.members(s, [factory.organization_id]), "financing.instalment_due", params), LINK)


def on_instalment_overdue(event: InstalmentOverdue) -> None:
    with unit_of_work() as s:
        found = _instalment(s, event.repayment_id)
        if found is None:
            return
        r, app = found
        factory, names = _names(s, app.factory_id, app.lender_org_id)
        params = {**names, "seq": r.seq, "amount": money(r.amount_minor, app.currency), "due": when(r.due_on)}
        users = who.members(s, [factory.organization_id, app.lender_org_id])
        save(s, tell(users, "financing.instalment_overdue", params), LINK)


def _percent(value) -> str:
    return f"{float(value) * 100:.0f}%" if isinstance(value, (int, float)) else str(value)


def on_lender_alert(event: LenderAlertRaised) -> None:
    with unit_of_work() as s:
        factory = s.get(Factory, event.factory_id)
        facts = {k: v for k, v in event.facts.items() if k in ("from", "to", "days", "machine", "hours")}
        facts.update({k: _percent(event.facts[k]) for k in ("recent", "baseline") if k in event.facts})
        params = {**facts, "factory": factory.name, "alert": event.kind}
        save(s, tell(who.members(s, [event.lender_org_id]), "lender.alert", params), LINK)


HANDLED = (
    (ConsentGranted, on_consent_granted), (ConsentRevoked, on_consent_revoked),
    (ConsentExpiring, on_consent_expiring), (CreditReportIssued, on_report_issued),
    (FinancingDecided, on_financing_decided), (FinancingDisbursed, on_financing_disbursed),
    (InstalmentDue, on_instalment_due), (InstalmentOverdue, on_instalment_overdue),
    (LenderAlertRaised, on_lender_alert),
)
