"""What notifications keep: each user's in-app notifications, one delivery row per (event,
recipient, channel) - the unique key that makes fan-out idempotent - and each user's choices."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from market.db import Base, UTCDateTime, new_public_id, utcnow

CHANNELS = ("in_app", "email")
DELIVERY_STATUSES = ("sent", "pending", "digest", "digested", "failed")  # digested: sent in a digest mail


class Notification(Base):
    """One thing a user was told, shown in the notification centre. The text is rendered when
    shown, from the kind's catalogue row and `params`, in the viewer's language."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),
                      Index("ix_notifications_user_created", "user_id", "created_at"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    # the object it is about (catalogue.LINKS says where that is): e.g. ("order", <public id>)
    link_kind: Mapped[str | None] = mapped_column(String(16))
    link_id: Mapped[str | None] = mapped_column(String(64))
    params: Mapped[dict] = mapped_column(JSON, default=dict)  # only what this recipient may know
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationDelivery(Base):
    """One event told to one user on one channel. `outbox_id` is the event's outbox row
    (market/bus.py): a second run of the same row finds its deliveries and writes nothing."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (UniqueConstraint("outbox_id", "user_id", "channel", name="uq_notification_deliveries_event"),
                      Index("ix_notification_deliveries_due", "channel", "status", "send_after"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    outbox_id: Mapped[int] = mapped_column(BigInteger)  # no foreign key: delivered outbox rows are purged
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(64))
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12))  # DELIVERY_STATUSES
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(300), default="")
    send_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # the end of quiet hours
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(2000))


class NotificationPreference(Base):
    """A user's choices; no row means the defaults (catalogue: e-mail for action-needed kinds,
    no digest, no quiet hours). In-app is always on. The language is the user's locale."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # kind -> true, false or "digest", where the user differs from the default
    email: Mapped[dict] = mapped_column(JSON, default=dict)
    digest: Mapped[bool] = mapped_column(default=False)  # every e-mail held for the digest (digest.py)
    quiet_start: Mapped[str | None] = mapped_column(String(5))  # "22:00", in `time_zone`
    quiet_end: Mapped[str | None] = mapped_column(String(5))  # "07:30"
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
