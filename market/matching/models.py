from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import Base, UTCDateTime, new_public_id, utcnow

JOB_STATUSES = ("queued", "running", "done", "failed")
QUOTE_STATUSES = ("open", "accepted", "superseded", "expired", "stale")


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


class Quote(Base):
    """One alternative the solver proposed for an order; prices in minor units."""

    __tablename__ = "quotes"
    __table_args__ = (CheckConstraint(f"status IN {QUOTE_STATUSES}", name="status"),
                      Index("ix_quotes_order_status", "order_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    job_id: Mapped[int] = mapped_column(ForeignKey("solve_jobs.id"))
    label: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default="open")
    price_minor: Mapped[int] = mapped_column(BigInteger)
    transport_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    promised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lateness_minutes: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # factory public id -> salt of its share's commitment in the quote.accepted ledger entry
    share_salts: Mapped[dict] = mapped_column(JSON, default=dict)
    accepted_ledger_index: Mapped[int | None]

    lines: Mapped[list["QuoteLine"]] = relationship(order_by="QuoteLine.seq", lazy="selectin",
                                                    cascade="all, delete-orphan")

    @property
    def total_minor(self) -> int:
        return self.price_minor + self.transport_minor


class QuoteLine(Base):
    """Where and when one operation runs in a quote: a slice of one capacity window."""

    __tablename__ = "quote_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    process_code: Mapped[str] = mapped_column(String(64))
    window_id: Mapped[int] = mapped_column(ForeignKey("capacity_windows.id"))
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id"))
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    price_minor: Mapped[int] = mapped_column(BigInteger)

    machine = relationship("Machine", lazy="joined")
    factory = relationship("Factory", lazy="joined")
