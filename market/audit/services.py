"""Record security events (inside the caller's transaction) and list them for the operator."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from flask import has_request_context, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from market.accounts.models import Organization, User
from market.audit.models import ACTIONS, SecurityEvent
from market.auth import Actor
from market.db import unit_of_work
from market.pagination import Page, paginate
from market.policy import require_kind


def record(s: Session, action: str, *, user: User | None = None, organization_id: int | None = None,
           actor_user_id: int | None = None, **detail) -> None:
    """Add the event to `s`; it commits with the change it describes (or with nothing, for a
    failed login: the caller commits the attempt)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown security action {action!r}; known: {', '.join(ACTIONS)}")
    ip = request.remote_addr or "" if has_request_context() else ""
    s.add(SecurityEvent(action=action, user_id=user.id if user else None,
                        organization_id=organization_id or (user.organization_id if user else None),
                        actor_user_id=actor_user_id, ip=ip[:45], detail=detail))


def login_name_digest(email: str) -> str:
    """What is kept of a login name that matches no account: enough to see one name tried
    again and again, not the text itself."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


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
