"""Bidding's rows: a factory's bid on an order (its current terms), every step of the thread
between the factory and the buyer (bid_steps: submissions, revisions, counters, answers,
the outcome), per-operation prices of a step, and the documents a factory attaches.

A bid is sealed: only its factory, the order's buyer and the operator read it (access.py)."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.catalog.models import Factory
from market.orders.models import Order, Quote
from market.db import Base, UTCDateTime, new_public_id, utcnow

# open: the factory's terms stand (the buyer may accept, counter or decline);
# countered: the buyer's counter awaits the factory; the rest are final (expired: its validity
# ended while live, set by the periodic expire_bids)
BID_STATUSES = ("open", "countered", "withdrawn", "declined", "accepted", "lost", "closed", "expired")
LIVE = ("open", "countered")
PRICE_BASES = ("order", "operation")
TERMS_KINDS = ("submitted", "revised", "counter_accepted")
STEP_KINDS = ("submitted", "revised", "withdrawn", "countered", "counter_accepted", "counter_rejected",
              "declined", "accepted", "lost", "closed", "expired")


class Bid(Base):
    __tablename__ = "bids"
    __table_args__ = (
        CheckConstraint(f"status IN {BID_STATUSES}", name="status"),
        CheckConstraint(f"price_basis IN {PRICE_BASES}", name="price_basis"),
        CheckConstraint("price_minor >= 0", name="price_nonnegative"),
        CheckConstraint("counter_price_minor >= 0", name="counter_price_nonnegative"),
        # one thread per factory organization and order: revisions are steps of it
        Index("uq_bids_order_factory_org", "order_id", "factory_org_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"))
    factory_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="open")
    revision: Mapped[int] = mapped_column(default=1)
    # the factory's terms as they stand (its last terms step holds them with any per-operation prices)
    price_basis: Mapped[str] = mapped_column(String(10), default="order")
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    promised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    conditions: Mapped[str] = mapped_column(default="")
    # the buyer's counter while status is 'countered' (None: that part of the terms unchanged)
    counter_price_minor: Mapped[int | None] = mapped_column(BigInteger)
    counter_promised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the quote that placed the accepted bid on the factory's machines (matching's booking path)
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    factory: Mapped[Factory] = relationship(lazy="joined")
    quote: Mapped[Quote | None] = relationship(lazy="joined")
    order: Mapped[Order] = relationship(lazy="joined")
    steps: Mapped[list["BidStep"]] = relationship(order_by="BidStep.id", lazy="selectin")
    attachments: Mapped[list["BidAttachment"]] = relationship(order_by="BidAttachment.id", lazy="selectin")

    def expired(self, now: datetime) -> bool:
        return self.status in LIVE and self.expires_at <= now

    @property
    def terms_step(self) -> "BidStep":
        """The step whose terms stand (the last submission, revision or accepted counter)."""
        return next(step for step in reversed(self.steps) if step.kind in TERMS_KINDS)

    @property
    def operation_prices(self) -> dict[int, int]:
        """Operation seq -> price, when the factory priced per operation; else {}."""
        return {op.seq: op.price_minor for op in self.terms_step.operations} if self.price_basis == "operation" else {}


class BidStep(Base):
    """One step of a bid's thread, never changed afterwards. Terms steps (submitted, revised,
    counter_accepted) carry the factory's full terms; a counter carries what the buyer asks."""

    __tablename__ = "bid_steps"
    __table_args__ = (CheckConstraint(f"kind IN {STEP_KINDS}", name="kind"),
                      CheckConstraint("price_minor >= 0", name="price_nonnegative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id"), index=True)
    revision: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    price_minor: Mapped[int | None] = mapped_column(BigInteger)
    promised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(default="")  # conditions (terms steps) or the counter's message
    salt: Mapped[str | None] = mapped_column(String(32))  # of the commitment in the step's ledger entry
    ledger_index: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    operations: Mapped[list["BidStepOperation"]] = relationship(order_by="BidStepOperation.seq", lazy="selectin",
                                                                cascade="all, delete-orphan")


class BidStepOperation(Base):
    """A per-operation price of a terms step (price basis 'operation')."""

    __tablename__ = "bid_step_operations"
    __table_args__ = (CheckConstraint("price_minor >= 0", name="price_nonnegative"),)

    step_id: Mapped[int] = mapped_column(ForeignKey("bid_steps.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    price_minor: Mapped[int] = mapped_column(BigInteger)


class BidAttachment(Base):
    """A document the factory attached to its bid (checked and stored like an order's drawings);
    readable by whoever reads the bid, never through the order's own attachments."""

    __tablename__ = "bid_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id"), index=True)
    uploaded_by_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
