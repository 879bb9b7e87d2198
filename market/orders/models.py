from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Numeric, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.accounts.models import Organization
from market.db import Base, UTCDateTime, new_public_id, utcnow
from market.orders.bom import Component, is_plain_routing, structure, waits_for
from market.orders.states import STATES

QUOTE_STATUSES = ("open", "accepted", "superseded", "expired", "stale")


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(f"state IN {STATES}", name="state"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("budget_minor >= 0", name="budget_nonnegative"),
        CheckConstraint("declared_value_minor >= 0", name="declared_value_nonnegative"),
        CheckConstraint("tier >= 0", name="tier_nonnegative"),
        Index("ix_orders_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    part_number: Mapped[str] = mapped_column(String(100), default="")
    material: Mapped[str] = mapped_column(String(100), default="")
    quantity: Mapped[int]
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    budget_minor: Mapped[int] = mapped_column(BigInteger)  # the buyer's ceiling: seen by the buyer and the operator, never by factories
    # the value of the finished parts (all pieces) as the buyer declares it: the basis of
    # percent_of_value prices (see market.matching.problem.job_value); None = not declared
    declared_value_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    delivery_address: Mapped[str] = mapped_column(String(500), default="")
    delivery_latitude: Mapped[float | None]
    delivery_longitude: Mapped[float | None]
    required_certifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    # quality documents every lot must carry before it ships (production.documents.DOCUMENT_KINDS)
    required_documents: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # A sub-order (market/subcontracting): the factory booked on `parent_order_id` passed the
    # parent's operations `parent_operation_seqs` on, acting as this order's buyer. Tier 0 is a
    # buyer's own order, tier n+1 a sub-order of a tier-n one. Here, not in subcontracting's
    # rows, because payments (lower) reads the link: a sub-order is paid from its parent's escrow.
    parent_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    parent_operation_seqs: Mapped[list[int] | None] = mapped_column(JSON)
    tier: Mapped[int] = mapped_column(default=0, server_default="0")

    buyer: Mapped[Organization] = relationship(lazy="joined")
    operations: Mapped[list["Operation"]] = relationship(
        cascade="all, delete-orphan", order_by="Operation.seq", lazy="selectin"
    )
    history: Mapped[list["OrderEvent"]] = relationship(order_by="OrderEvent.id", lazy="selectin")

    @property
    def components(self) -> list[Component]:
        """The product structure read from the operations (empty for a plain routing)."""
        return structure(self.operations)

    @property
    def is_plain_routing(self) -> bool:
        return is_plain_routing(self.operations)

    @property
    def waits_for(self) -> list[tuple[int, ...]]:
        """Per operation, the seqs it waits for."""
        return waits_for(self.operations)


class Operation(Base):
    __tablename__ = "order_operations"
    __table_args__ = (
        Index("uq_order_operations_order_seq", "order_id", "seq", unique=True),
        Index("ix_order_operations_process", "process_code"),
        CheckConstraint("setup_minutes >= 0", name="setup_nonnegative"),
        CheckConstraint("run_minutes_per_unit >= 0", name="run_nonnegative"),
        CheckConstraint("quantity_per_parent > 0", name="quantity_per_parent_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    seq: Mapped[int]
    process_code: Mapped[str] = mapped_column(String(64))
    setup_minutes: Mapped[int]
    run_minutes_per_unit: Mapped[Decimal] = mapped_column(Numeric(10, 3))
    tolerance: Mapped[str] = mapped_column(String(100), default="")
    notes: Mapped[str] = mapped_column(default="")
    # Bill of materials (market/orders/bom.py): the component this operation makes ("" = the
    # finished product itself, e.g. its assembly), that component's pieces per finished piece
    # and its material, repeated on each of its operations; `after_seqs` = the seqs that must be
    # done first (None = the previous seq, a plain routing; [] = none, a component's first step)
    component: Mapped[str] = mapped_column(String(100), default="")
    quantity_per_parent: Mapped[int] = mapped_column(default=1)
    component_material: Mapped[str] = mapped_column(String(100), default="")
    after_seqs: Mapped[list[int] | None] = mapped_column(JSON)


class OrderEvent(Base):
    """The order's history: every state change, who made it and when."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the ledger entry of this move: order.state_changed for moves made through
    # orders.services.move (credit counts cancellations by it); order.posted on the row of the
    # order's creation (from_state None; a lender's advance evidence proves the order by it)
    ledger_index: Mapped[int | None] = mapped_column(BigInteger)


class QuoteRequest(Base):
    """A factory invited to quote on an order: it may then see drawings and the thread."""

    __tablename__ = "quote_requests"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    factory_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    factory_org: Mapped[Organization] = relationship(lazy="joined")


class Message(Base):
    __tablename__ = "order_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    author_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author_org: Mapped[Organization] = relationship(lazy="joined")
    attachments: Mapped[list["Attachment"]] = relationship(lazy="selectin", order_by="Attachment.id")


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("order_messages.id"))
    uploaded_by_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Quote(Base):
    """One alternative the solver proposed for an order (an offer: it lives with the order,
    so the order side may read it; matching writes it); prices in minor units."""

    __tablename__ = "quotes"
    __table_args__ = (CheckConstraint(f"status IN {QUOTE_STATUSES}", name="status"),
                      Index("ix_quotes_order_status", "order_id", "status"),
                      Index("ix_quotes_updated_at_id", "updated_at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    job_id: Mapped[int] = mapped_column(ForeignKey("solve_jobs.id"))  # matching's solve (by table name only)
    label: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default="open")
    price_minor: Mapped[int] = mapped_column(BigInteger)
    transport_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    promised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lateness_minutes: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # every change moves it (onupdate): the API's updated_since sync reads it (migration 0037)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
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
