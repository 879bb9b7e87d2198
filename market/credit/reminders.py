"""Credit facts that hold for a while and are told once (bus.publish_once), found by the
periodic reminders scan: consents ending within CONSENT_EXPIRY_NOTICE_DAYS, instalments due
within INSTALMENT_NOTICE_DAYS or past due, and each lender's alerts (credit.alerts, computed
as the lender's own alert page computes them, under its live consents)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from market import bus
from market.accounts.models import Organization
from market.auth import Actor
from market.catalog.models import Factory
from market.credit import alerts
from market.credit.domain_events import ConsentExpiring, InstalmentDue, InstalmentOverdue, LenderAlertRaised
from market.credit.models import Consent, FinancingApplication, Repayment
from market.db import unit_of_work, utcnow


def _once(key: str, event) -> bool:
    with unit_of_work() as s:
        try:
            told = bus.publish_once(s, key, event)
            s.commit()
        except IntegrityError:  # another scan told it meanwhile
            return False
        return told


def alert_key(lender_org_id: int, alert: alerts.Alert) -> str:
    """What makes an alert the same alert when a later scan finds it again: the report that
    dropped, the machine's stop, the ISO week of a collapse (told again a week on if it lasts)."""
    if alert.kind == "grade_drop":
        which = alert.facts.get("report", "")
    elif alert.kind == "machine_down":
        which = f"{alert.facts.get('machine', '')}@{alert.at.isoformat()}"
    else:
        year, week, _ = alert.at.isocalendar()
        which = f"{year}-W{week:02d}"
    return f"lender.alert:{lender_org_id}:{alert.factory_id}:{alert.kind}:{which}"[:200]


def publish_due(now: datetime | None = None) -> dict:
    now = now or utcnow()
    config = current_app.config
    today = now.date()
    counts = {"consent_expiring": 0, "instalment_due": 0, "instalment_overdue": 0, "lender_alert": 0}
    with unit_of_work() as s:
        ending = s.execute(select(Consent.id, Consent.factory_id, Consent.lender_org_id, Consent.valid_until).where(
            Consent.revoked_at.is_(None), Consent.valid_from <= now, Consent.valid_until > now,
            Consent.valid_until <= now + timedelta(days=config["CONSENT_EXPIRY_NOTICE_DAYS"]))).all()
        unpaid = s.execute(select(Repayment.id, Repayment.application_id, Repayment.seq, Repayment.due_on)
                           .join(FinancingApplication, FinancingApplication.id == Repayment.application_id)
                           .where(FinancingApplication.status == "disbursed", Repayment.paid_at.is_(None),
                                  Repayment.due_on <= today + timedelta(days=config["INSTALMENT_NOTICE_DAYS"]))).all()
        lenders = list(s.scalars(select(Organization).where(Organization.kind == "lender", Organization.id.in_(
            select(Consent.lender_org_id).where(Consent.revoked_at.is_(None), Consent.valid_from <= now,
                                                Consent.valid_until > now)))))
    for consent_id, factory_id, lender_id, until in ending:
        counts["consent_expiring"] += _once(f"consent.expiring:{consent_id}", ConsentExpiring(
            consent_id, factory_id, lender_id, until.isoformat()))
    for repayment_id, application_id, seq, due_on in unpaid:
        if due_on < today:
            counts["instalment_overdue"] += _once(f"instalment.overdue:{repayment_id}", InstalmentOverdue(
                application_id, repayment_id, seq, due_on.isoformat()))
        else:
            counts["instalment_due"] += _once(f"instalment.due:{repayment_id}", InstalmentDue(
                application_id, repayment_id, seq, due_on.isoformat()))
    for lender in lenders:
        actor = Actor(org_id=lender.id, org_public_id=lender.public_id, org_kind="lender", org_name=lender.name)
        found = alerts.lender_alerts(actor, now)
        if not found:
            continue
        with unit_of_work() as s:
            factories = dict(s.execute(select(Factory.public_id, Factory.id).where(
                Factory.public_id.in_({uuid.UUID(a.factory_id) for a in found}))).all())
        for alert in found:
            factory_id = factories.get(uuid.UUID(alert.factory_id))
            if factory_id is not None:
                counts["lender_alert"] += _once(alert_key(lender.id, alert), LenderAlertRaised(
                    lender.id, factory_id, alert.kind, alert_key(lender.id, alert), dict(alert.facts)))
    return counts
