"""Policies: the insurer offers (with the factory's live consent), the insured accepts (the
policy is issued) or declines. Each step is one transaction with its ledger entry."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ledger.disclosure import new_salt
from market import bus, errors, policy as rules
from market.accounts.models import Organization
from market.auth import Actor
from market.catalog.models import Factory, Machine
from market.credit.access import live_consent
from market.credit.models import Consent
from market.db import unit_of_work, utcnow, write_lock
from market.insurance import events as ev
from market.insurance import rating
from market.insurance import terms as policy_terms
from market.insurance.domain_events import PolicyIssued
from market.insurance.models import Policy
from market.journal.ledger import record
from market.leasing.terms import add_months
from market.telemetry import calendar as cal

OPEN = ("offered", "active")  # a machine has at most one of these per coverage on any day


def terms_payload(p: Policy) -> dict:
    """What the policy's ledger entries commit to (integers and strings only)."""
    return {"policy": str(p.public_id), "insurer": str(p.insurer.public_id), "insured": str(p.insured.public_id),
            "factory": str(p.factory.public_id), "machine": str(p.machine.public_id), "coverage": p.coverage,
            "currency": p.currency, "term_months": p.term_months, "from": p.start_day.isoformat(),
            "until": p.end_day.isoformat(), "sum_insured_minor": p.sum_insured_minor,
            "rate_minor_per_hour": p.rate_minor_per_hour, "deductible_hours": p.deductible_hours}


def consented_factory(s, actor: Actor, factory_id: uuid.UUID, now: datetime) -> Factory:
    """The factory, if it granted `actor` a live consent; else 404 on factory_id."""
    factory = s.scalar(select(Factory).where(Factory.public_id == factory_id))
    consent = factory is not None and s.scalar(select(Consent.id).where(
        Consent.factory_id == factory.id, live_consent(actor, now)).limit(1))
    if not consent:
        raise errors.refusal(errors.NotFound, _l("No such factory, or it has not granted you access to its data."), field="factory_id")
    return factory


def offer(actor: Actor, *, factory_id: uuid.UUID, machine_id: uuid.UUID, coverage: str, currency: str,
          term_months: int, start_day: date, sum_insured_minor: int, rate_minor_per_hour: int = 0,
          deductible_hours: int = 0, now: datetime | None = None) -> Policy:
    """An insurer offers a policy on one machine of a factory that granted it live access to
    its data, priced (indicatively) from the machine's last WINDOW_DAYS. No two open policies of
    one coverage cover a machine on the same day."""
    rules.require_kind(actor, "insurer")
    policy_terms.check(coverage=coverage, rate_minor_per_hour=rate_minor_per_hour, deductible_hours=deductible_hours)
    now = now or utcnow()
    with unit_of_work() as s:
        write_lock(s)
        factory = consented_factory(s, actor, factory_id, now)
        machine = s.scalar(select(Machine).where(Machine.public_id == machine_id).with_for_update(of=Machine))
        if machine is None or machine.factory_id != factory.id:
            raise errors.refusal(errors.Invalid, _l("This machine is not one of the factory's machines."), field="machine_id")
        today = cal.local_day(now, factory.timezone)
        if start_day < today:
            raise errors.refusal(errors.Invalid, _l("A policy starts today or later."), field="start_day")
        end_day = add_months(start_day, term_months)
        for other in s.scalars(select(Policy).where(Policy.machine_id == machine.id, Policy.coverage == coverage,
                                                    Policy.status.in_(OPEN))).unique():
            if policy_terms.overlaps(start_day, end_day, other.start_day, other.end_day):
                raise errors.refusal(errors.Conflict, _l("This machine already has a policy of this coverage from %(start)s to %(end)s.",
                                        start=other.start_day.isoformat(), end=other.end_day.isoformat()),
                                      field="start_day")
        p = Policy(public_id=uuid.uuid4(), insurer_org_id=actor.org_id, insured_org_id=factory.organization_id,
                   factory_id=factory.id, machine_id=machine.id, coverage=coverage, currency=currency,
                   term_months=term_months, start_day=start_day, end_day=end_day, sum_insured_minor=sum_insured_minor,
                   rate_minor_per_hour=rate_minor_per_hour, deductible_hours=deductible_hours, status="offered",
                   created_at=now, salt=new_salt(), terms={}, quote={})
        p.insurer, p.insured, p.factory, p.machine = s.get(Organization, actor.org_id), factory.organization, factory, machine
        p.terms = terms_payload(p)
        p.quote = rating.quote(s, machine, coverage, sum_insured_minor, today)  # the latest data, indicative
        s.add(p)
        s.flush()
        p.offer_ledger_index = record(s, ev.offered(p, now))[0].index
        s.commit()
        return p


def visible(actor: Actor):
    """Policies an actor may see: the insurer's and the insured's own; everything for
    operators. Anyone else gets 404, not even the policy's existence."""
    return rules.party_rows(actor, Policy.insurer_org_id, Policy.insured_org_id)


def find(s, actor: Actor, policy_id: uuid.UUID, *, lock: bool = False) -> Policy:
    return rules.one_row(s, Policy, policy_id, visible(actor), missing=_l("No such policy."), lock=lock)


def get(actor: Actor, policy_id: uuid.UUID) -> Policy:
    with unit_of_work() as s:
        return find(s, actor, policy_id)


def policies_of(actor: Actor) -> list[Policy]:
    with unit_of_work() as s:
        return list(s.scalars(select(Policy).where(visible(actor)).order_by(Policy.created_at.desc()).limit(500)).unique())


def accept(actor: Actor, policy_id: uuid.UUID, *, accept: bool, now: datetime | None = None) -> Policy:
    """The insured accepts the offered terms (the policy is issued) or declines them."""
    now = now or utcnow()
    with unit_of_work() as s:
        write_lock(s)
        p = find(s, actor, policy_id, lock=True)
        if p.insured_org_id != actor.org_id:
            raise errors.refusal(errors.Forbidden, _l("Only the insured accepts or declines a policy offer."))
        if p.status != "offered":
            raise errors.refusal(errors.Conflict, _l("This policy is %(status)s; only offers are accepted.", status=p.status))
        if accept:
            p.status, p.issued_at = "active", now
            p.issued_ledger_index = record(s, ev.issued(p, now))[0].index
            bus.publish(s, PolicyIssued(p.id))
        else:
            p.status = "declined"
        s.commit()
        return p


def end_expired(now: datetime | None = None) -> int:
    """Periodic: active policies whose last day has passed end."""
    now = now or utcnow()
    with unit_of_work() as s:
        write_lock(s)
        done = [p for p in s.scalars(select(Policy).where(Policy.status == "active")).unique()
                if p.end_day <= cal.local_day(now, p.factory.timezone)]
        for p in done:
            p.status = "ended"
        s.commit()
        return len(done)


def insurable_machines(actor: Actor, now: datetime | None = None) -> list[Machine]:
    """Machines of the factories that granted the insurer a live consent: what it may offer on."""
    now = now or utcnow()
    if actor.org_kind != "insurer":
        return []
    with unit_of_work() as s:
        factory_ids = select(Consent.factory_id).where(live_consent(actor, now))
        return list(s.scalars(select(Machine).where(Machine.factory_id.in_(factory_ids))
                              .order_by(Machine.factory_id, Machine.name)).unique())
