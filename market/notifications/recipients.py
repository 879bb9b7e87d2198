"""Who is told, computed from the database when an event fans out (catalogue.AUDIENCES).
Each function returns organization ids or users; none reads more than its audience needs."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.accounts.models import Organization, User
from market.catalog.models import Factory
from market.orders.models import Quote, QuoteLine, QuoteRequest


def members(s: Session, org_ids, *, exclude_user_id: int | None = None) -> list[User]:
    if not org_ids:
        return []
    users = s.scalars(select(User).where(User.organization_id.in_(set(org_ids))).order_by(User.id))
    return [u for u in users if u.id != exclude_user_id]


def owners(s: Session, org_id: int, *, exclude_user_id: int | None = None) -> list[User]:
    return [u for u in members(s, [org_id], exclude_user_id=exclude_user_id) if u.role == "owner"]


def operator_orgs(s: Session) -> list[int]:
    return list(s.scalars(select(Organization.id).where(Organization.kind == "operator")))


def invited_orgs(s: Session, order_id: int) -> list[int]:
    return list(s.scalars(select(QuoteRequest.factory_org_id).where(QuoteRequest.order_id == order_id)))


def booked_starts(s: Session, order_id: int, quote_id: int | None = None) -> dict[int, object]:
    """Organization id -> start of its first booked slice, for the factories the order's
    accepted quote (or quote `quote_id`) places work with."""
    stmt = (select(Factory.organization_id, QuoteLine.start_at)
            .join(QuoteLine, QuoteLine.factory_id == Factory.id).join(Quote, Quote.id == QuoteLine.quote_id))
    stmt = stmt.where(Quote.id == quote_id) if quote_id else stmt.where(Quote.order_id == order_id,
                                                                         Quote.status == "accepted")
    starts: dict[int, object] = {}
    for org_id, start in s.execute(stmt):
        starts[org_id] = min(start, starts.get(org_id, start))
    return starts


def booked_orgs(s: Session, order_id: int, quote_id: int | None = None) -> list[int]:
    return list(booked_starts(s, order_id, quote_id))


def factory_orgs(s: Session, factory_ids) -> list[int]:
    """The organizations of these factories."""
    return list(s.scalars(select(Factory.organization_id).where(Factory.id.in_(set(factory_ids))).distinct()))


def thread_orgs(s: Session, order) -> set[int]:
    """Who reads the order's thread (orders.access.visible_orders, the operator aside)."""
    return {order.buyer_org_id, *invited_orgs(s, order.id), *booked_orgs(s, order.id)}
