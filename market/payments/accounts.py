"""Factories' payout accounts (Stripe Connect onboarding), subscription tiers and the
commission rules the operator sets."""
from __future__ import annotations

import uuid

from sqlalchemy import delete, select

from flask_babel import lazy_gettext as _l

from market import errors, policy
from market.accounts.models import Organization, User
from market.auth import Actor
from market.catalog.taxonomy import taxonomy
from market.db import unit_of_work, write_lock
from market.payments.models import CommissionRule, FactoryPlan, PaymentAccount
from market.payments.providers import configured_name, get_provider
from market.payments.states import TIERS


# factories are paid their payouts; lenders are repaid first from payouts assigned to them
PAYEES = ("factory", "lender")


def account_of(actor: Actor) -> PaymentAccount | None:
    policy.require_kind(actor, *PAYEES)
    with unit_of_work() as s:
        return s.scalar(select(PaymentAccount).where(PaymentAccount.organization_id == actor.org_id))


def onboarding_link(actor: Actor, *, return_url: str, refresh_url: str) -> str:
    """The provider's onboarding page for this factory (or lender) organization (its account
    is made on first use)."""
    policy.require_kind(actor, *PAYEES)
    if actor.is_operator:
        raise errors.Forbidden("only a factory or lender organization onboards its own payout account")
    provider = get_provider()
    with unit_of_work() as s:
        account = s.scalar(select(PaymentAccount).where(PaymentAccount.organization_id == actor.org_id))
        email = s.scalar(select(User.email).where(User.id == actor.user_id)) if actor.user_id else None
    if account is None or account.provider != provider.name:
        external_id = provider.create_account(organization_public_id=str(actor.org_public_id), email=email or "")
        status = provider.account_status(external_id)
        with unit_of_work() as s:
            write_lock(s)
            s.execute(delete(PaymentAccount).where(PaymentAccount.organization_id == actor.org_id))
            s.add(PaymentAccount(organization_id=actor.org_id, provider=provider.name, external_id=external_id,
                                 details_submitted=status.details_submitted, payouts_enabled=status.payouts_enabled,
                                 transfers_status=status.transfers_status, requirements_due=status.requirements_due))
            s.commit()
    else:
        external_id = account.external_id
    return provider.onboarding_link(external_id, return_url=return_url, refresh_url=refresh_url)


def refresh_account(actor: Actor) -> PaymentAccount | None:
    """Read the account's capabilities from the provider (the page after onboarding)."""
    from market.payments.execution import pending_for_org, run_pending

    account = account_of(actor)
    if account is None:
        return None
    status = get_provider(account.provider).account_status(account.external_id)
    with unit_of_work() as s:
        row = s.scalar(select(PaymentAccount).where(PaymentAccount.id == account.id))
        row.details_submitted, row.payouts_enabled = status.details_submitted, status.payouts_enabled
        row.transfers_status, row.requirements_due = status.transfers_status, status.requirements_due
        waiting = pending_for_org(s, actor.org_id) if status.transfers_status == "active" else []
        s.commit()
    for order_id in waiting:
        run_pending(order_id)
    return account_of(actor)


def provider_name() -> str:
    return configured_name()


# --- tiers and rules ---------------------------------------------------------------------------

def tier_of(actor: Actor) -> str:
    with unit_of_work() as s:
        return s.scalar(select(FactoryPlan.tier).where(FactoryPlan.organization_id == actor.org_id)) or "free"


def set_tier(actor: Actor, organization_public_id: uuid.UUID, tier: str) -> str:
    """Operator: a factory organization's subscription tier (applies to quotes accepted from now on)."""
    policy.require_kind(actor, "operator")
    if tier not in TIERS:
        raise errors.Invalid(f"tier is one of {', '.join(TIERS)}", field="tier")
    with unit_of_work() as s:
        org = s.scalar(select(Organization).where(Organization.public_id == organization_public_id,
                                                  Organization.kind == "factory"))
        if org is None:
            raise errors.refusal(errors.Invalid, _l("No such factory organization."), field="organization_id",
                                 detail=f"factory organization {organization_public_id} not found")
        plan = s.get(FactoryPlan, org.id) or FactoryPlan(organization_id=org.id)
        plan.tier = tier
        s.add(plan)
        s.commit()
        return tier


def list_rules() -> list[CommissionRule]:
    with unit_of_work() as s:
        return list(s.scalars(select(CommissionRule).order_by(CommissionRule.tier, CommissionRule.process_class.is_not(None),
                                                              CommissionRule.process_class)))


def set_rule(actor: Actor, tier: str, process_class: str | None, percent_bp: int, minimum_minor: int) -> CommissionRule:
    """Operator: set (or add) the rule for a tier and process class (None: the tier's default)."""
    policy.require_kind(actor, "operator")
    if tier not in TIERS:
        raise errors.Invalid(f"tier is one of {', '.join(TIERS)}", field="tier")
    classes = {c.code for c in taxonomy().classes}
    if process_class is not None and process_class not in classes:
        raise errors.Invalid(f"unknown process class {process_class!r}; classes are {', '.join(sorted(classes))}",
                             field="process_class")
    if not 0 <= percent_bp <= 10000:
        raise errors.Invalid("percent_bp is 0 to 10000 (basis points)", field="percent_bp")
    if minimum_minor < 0:
        raise errors.Invalid("minimum_minor cannot be negative", field="minimum_minor")
    with unit_of_work() as s:
        write_lock(s)
        stmt = select(CommissionRule).where(CommissionRule.tier == tier)
        stmt = stmt.where(CommissionRule.process_class.is_(None) if process_class is None
                          else CommissionRule.process_class == process_class)
        rule = s.scalar(stmt) or CommissionRule(tier=tier, process_class=process_class)
        rule.percent_bp, rule.minimum_minor = percent_bp, minimum_minor
        s.add(rule)
        s.commit()
        return rule
