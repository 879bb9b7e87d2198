"""Authorization in one place: which organization may see or change what.

Reads are scoped by query filters (another tenant's id is simply not found: 404, not
403); writes check the organization kind here, never in views.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_, select, true

from market import errors
from market.auth import Actor
from market.catalog.models import CapacityWindow, Factory, Machine
from market.matching.models import Quote, QuoteLine
from market.orders.models import Order, QuoteRequest


def require_kind(actor: Actor, *kinds: str) -> None:
    if actor.org_kind not in kinds and not actor.is_operator:
        raise errors.Forbidden(f"only {' or '.join(kinds)} organizations may do this")


def require_owner(actor: Actor, what: str) -> None:
    """Owner-only actions, on every path: a portal session carries the user's role, an API
    token its creator's current role, and anything else (no role) is refused."""
    if actor.role != "owner":
        raise errors.Forbidden(f"only an owner may {what}")


def may_revoke_token(actor: Actor, token) -> bool:
    """A member revokes the tokens they created; an owner revokes any of the organization's."""
    return actor.role == "owner" or (token.created_by_id is not None and token.created_by_id == actor.user_id)


def own_factories(actor: Actor) -> ColumnElement[bool]:
    return true() if actor.is_operator else Factory.organization_id == actor.org_id


def own_machines(actor: Actor) -> ColumnElement[bool]:
    return true() if actor.is_operator else Machine.factory.has(Factory.organization_id == actor.org_id)


def own_windows(actor: Actor) -> ColumnElement[bool]:
    if actor.is_operator:
        return true()
    return CapacityWindow.factory_id.in_(
        Factory.__table__.select().with_only_columns(Factory.id).where(Factory.organization_id == actor.org_id)
    )


def own_rows(actor: Actor, org_column) -> ColumnElement[bool]:
    """Rows whose `org_column` is the actor's organization (operators: every row)."""
    return true() if actor.is_operator else org_column == actor.org_id


def visible_orders(actor: Actor) -> ColumnElement[bool]:
    """Buyers see their own orders; factories the orders they were asked to quote on and
    those they make a part of (an accepted quote can place work with any factory)."""
    if actor.is_operator:
        return true()
    invited = exists().where(and_(QuoteRequest.order_id == Order.id, QuoteRequest.factory_org_id == actor.org_id))
    return or_(Order.buyer_org_id == actor.org_id, invited, Order.id.in_(producing_orders(actor)))


def sees_budget(actor: Actor, order: Order | None = None) -> bool:
    """The budget ceiling is the buyer's own limit: its buyer and the operator see it, no
    factory does (prices are set by the factories' windows, never by what a buyer could pay).
    Without `order`: whether `actor` sees budget ceilings at all (a list's column)."""
    if actor.is_operator:
        return True
    return actor.org_kind == "buyer" if order is None else order.buyer_org_id == actor.org_id


def lot_orders(actor: Actor) -> ColumnElement[bool]:
    """Orders whose lots (steps, machines, yields, QC, shipment) the actor may read: the
    buyer, the factories the accepted quote placed operations with, and the operator. A
    factory that was only invited to quote sees the order, never the winners' lots."""
    if actor.is_operator:
        return true()
    return or_(Order.buyer_org_id == actor.org_id, Order.id.in_(producing_orders(actor)))


def producing_orders(actor: Actor):
    """Ids of orders in whose accepted quote one of the actor's factories has an operation."""
    return (select(Quote.order_id).join(QuoteLine, QuoteLine.quote_id == Quote.id)
            .join(Factory, Factory.id == QuoteLine.factory_id)
            .where(Quote.status == "accepted", Factory.organization_id == actor.org_id))


def require_line_factory(actor: Actor, factory_ids: set[int], owners: dict[int, int], what: str) -> None:
    """Production steps are done by the factory the accepted quote placed them with.
    `factory_ids`: factories of the step's quote lines; `owners`: factory id -> org id."""
    if actor.is_operator or any(owners[f] == actor.org_id for f in factory_ids):
        return
    raise errors.Forbidden(f"only the factory the accepted quote placed {what} with may record it")


def is_order_buyer(actor: Actor, order: Order) -> bool:
    return order.buyer_org_id == actor.org_id


def party_of(actor: Actor, order: Order) -> str:
    """The role an organization plays on an order, for the state machine."""
    if actor.is_operator:
        return "operator"
    if order.buyer_org_id == actor.org_id:
        return "buyer"
    return "factory"


def live_consent(actor: Actor, at) -> ColumnElement[bool]:
    """Consents under which `actor` (a lender) may read a factory's credit data at `at`."""
    from market.credit.models import Consent

    return and_(Consent.lender_org_id == actor.org_id, Consent.revoked_at.is_(None),
                Consent.valid_from <= at, Consent.valid_until > at)


def credit_readable_factories(actor: Actor, at) -> ColumnElement[bool]:
    """Factories whose credit data `actor` may read: its own, or (lenders) those with a live
    consent. Everything else is not found, not even its existence beyond the public profile."""
    from market.credit.models import Consent

    if actor.is_operator:
        return true()
    if actor.org_kind == "lender":
        return exists().where(and_(Consent.factory_id == Factory.id, live_consent(actor, at)))
    return Factory.organization_id == actor.org_id


def require_order_buyer(actor: Actor, order: Order) -> None:
    if not (actor.is_operator or is_order_buyer(actor, order)):
        raise errors.Forbidden("only the buyer of this order may do this")
