"""The security log listens to accounts (market/bus.py)."""
from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy.orm import Session

from market import bus
from market.accounts.domain_events import SecurityActivity
from market.audit.models import SecurityEvent


def register(b: bus.MessageBus) -> None:
    # in the unit of work: the record commits with the change it describes, and a failed login
    # or a lockout is kept although nothing else about the attempt changes
    b.in_unit_of_work(SecurityActivity, record_security_event)


def record_security_event(session: Session, event: SecurityActivity) -> None:
    ip = request.remote_addr or "" if has_request_context() else ""
    session.add(SecurityEvent(action=event.action, user_id=event.user_id, organization_id=event.organization_id,
                              actor_user_id=event.actor_user_id, ip=ip[:45], detail=event.detail))
