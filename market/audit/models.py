from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from market.db import Base, UTCDateTime, utcnow


class SecurityEvent(Base):
    """One security-relevant action (one of accounts' ACTIONS, market/accounts/domain_events.py).
    `detail` never holds a secret: no password, no token (only its public prefix), no reset
    link; an unknown login name is kept as a hash prefix (people type passwords into the
    email field)."""

    __tablename__ = "security_events"
    __table_args__ = (Index("ix_security_events_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(40), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # whom it concerns
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # who did it, when someone else
    ip: Mapped[str] = mapped_column(String(45), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
