"""Buyers' ratings of delivered orders and the factories' public replies.

One rating per order (the buyer's, enforced by a unique constraint so two concurrent posts
leave one row); it rates every factory the accepted quote placed work with, one
`RatingSubject` row each, which is also where that factory's one public reply lives.
The comment is public on the factories' profiles; the ledger holds a salted commitment to it.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, SmallInteger, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.accounts.models import Organization
from market.catalog.models import Factory
from market.db import Base, UTCDateTime, new_public_id, utcnow

MAX_COMMENT = 2000
MAX_REPLY = 2000


class Rating(Base):
    __tablename__ = "ratings"
    __table_args__ = (CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)  # one per order: the race's referee
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    stars: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    show_buyer_name: Mapped[bool] = mapped_column(Boolean, default=False)  # hidden unless the buyer chooses
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    salt: Mapped[str] = mapped_column(String(64))
    ledger_index: Mapped[int | None] = mapped_column(BigInteger)

    buyer: Mapped[Organization] = relationship(lazy="joined")
    subjects: Mapped[list["RatingSubject"]] = relationship(back_populates="rating", lazy="selectin",
                                                           order_by="RatingSubject.id", cascade="all, delete-orphan")


class RatingSubject(Base):
    """A factory a rating rates, with its public reply (at most one: one row per pair)."""

    __tablename__ = "rating_subjects"
    __table_args__ = (Index("uq_rating_subjects_rating_factory", "rating_id", "factory_id", unique=True),
                      Index("ix_rating_subjects_factory_rating", "factory_id", "rating_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id", ondelete="CASCADE"))
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"))
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_salt: Mapped[str | None] = mapped_column(String(64))
    reply_ledger_index: Mapped[int | None] = mapped_column(BigInteger)

    rating: Mapped[Rating] = relationship(back_populates="subjects")
    factory: Mapped[Factory] = relationship(lazy="joined")
