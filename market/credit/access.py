"""Row scopes of credit data: under which consents a lender reads a factory's data, and which
factories' credit data an actor may read. Everything else is not found (404). Actor-only
rules are the kernel's market/policy.py."""
from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, true

from market.auth import Actor
from market.catalog.models import Factory
from market.credit.models import Consent


def live_consent(actor: Actor, at) -> ColumnElement[bool]:
    """Consents under which `actor` (a lender) may read a factory's credit data at `at`."""
    return and_(Consent.lender_org_id == actor.org_id, Consent.revoked_at.is_(None),
                Consent.valid_from <= at, Consent.valid_until > at)


def credit_readable_factories(actor: Actor, at) -> ColumnElement[bool]:
    """Factories whose credit data `actor` may read: its own, or (lenders) those with a live
    consent. Everything else is not found, not even its existence beyond the public profile."""
    if actor.is_operator:
        return true()
    if actor.org_kind == "lender":
        return exists().where(and_(Consent.factory_id == Factory.id, live_consent(actor, at)))
    return Factory.organization_id == actor.org_id
