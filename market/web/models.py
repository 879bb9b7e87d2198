"""Rows the web infrastructure keeps: rate-limit counters and the stored responses of
idempotent API requests. Kernel: they name an organization only by its table's id."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from market.db import Base, UTCDateTime, utcnow


class RateLimitCounter(Base):
    """One fixed-window rate-limit counter (see market.web.ratelimits): shared by every
    worker and machine that uses this database."""

    __tablename__ = "rate_limit_counters"

    bucket: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int]
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # Unix seconds


class IdempotencyRecord(Base):
    """The stored response to a POST made with an Idempotency-Key, per organization."""

    __tablename__ = "idempotency_records"
    __table_args__ = (Index("uq_idempotency_org_key", "organization_id", "key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_body: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # while in progress: who holds the claim and until when (a retry after that redoes it)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
