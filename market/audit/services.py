"""The operator's security log: the events market/audit/handlers.py recorded, newest first."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from market.accounts.models import Organization, User
from market.audit.models import SecurityEvent
from market.auth import Actor
from market.db import unit_of_work
from market.pagination import Page, paginate
from market.policy import require_kind


@dataclass(frozen=True)
class EventRow:
    created_at: datetime
    action: str
    user_email: str | None  # whom it concerns, else who did it
    organization_name: str | None
    ip: str
    detail: dict


def list_events(actor: Actor, *, action: str | None = None, page: int = 1, per_page: int = 50) -> Page[EventRow]:
    require_kind(actor, "operator")
    with unit_of_work() as s:
        by = aliased(User)
        stmt = (select(SecurityEvent, func.coalesce(User.email, by.email), Organization.name)
                .outerjoin(User, User.id == SecurityEvent.user_id)
                .outerjoin(by, by.id == SecurityEvent.actor_user_id)
                .outerjoin(Organization, Organization.id == SecurityEvent.organization_id)
                .order_by(SecurityEvent.id.desc()))
        if action:
            stmt = stmt.where(SecurityEvent.action == action)
        result = paginate(s, stmt, page, per_page, scalars=False)
        rows = [EventRow(e.created_at, e.action, email, org, e.ip, e.detail or {}) for e, email, org in result.items]
        return Page(rows, result.page, result.per_page, result.total)
