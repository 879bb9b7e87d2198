"""The mail queue: one row per message, composed when the business change commits (in the
same transaction) and delivered afterwards by market/mail/delivery.py."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from market.db import Base, UTCDateTime, utcnow

STATUSES = ("pending", "sending", "sent", "failed")


class OutboxEmail(Base):
    """A message to one address. `status` moves pending -> sending (claimed by one sender,
    until `next_attempt_at`) -> sent, or back to pending with a later `next_attempt_at`
    after a temporary failure, or to failed (permanent refusal, or too many attempts)."""

    __tablename__ = "outbox_emails"
    __table_args__ = (Index("ix_outbox_emails_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str]  # the text/plain part
    html_body: Mapped[str | None] = mapped_column(Text)  # the text/html part (rows from before 0018 have none)
    language: Mapped[str] = mapped_column(String(8), default="en")
    # "<...@host>", fixed when composed: a message sent again after a crash keeps its id,
    # so the receiving side can tell it is the same message
    message_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)  # for the operator, never shown to the recipient
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
