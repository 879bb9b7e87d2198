"""Matching's own rows: the background solves. The quotes a solve produces are an order's
offers and live with the order (market/orders/models.py: Quote, QuoteLine)."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from market.db import Base, UTCDateTime, new_public_id, utcnow

JOB_STATUSES = ("queued", "running", "done", "failed")


class SolveJob(Base):
    """A solve that runs in the background; the web request only enqueues it."""

    __tablename__ = "solve_jobs"
    __table_args__ = (CheckConstraint(f"status IN {JOB_STATUSES}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    kind: Mapped[str] = mapped_column(String(20))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
