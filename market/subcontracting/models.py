"""Subcontracting's own rows: one node per order that is part of a subcontracting tree (the
root once it has a sub-order, every sub-order). The link itself (parent, operations, tier) is
on the order (market/orders/models.py), where payments can read it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from market.db import Base, UTCDateTime, utcnow

# a sub-order in production when its parent was cancelled: it stops only with the sub-tier's
# agreement; the operator sees the flag until it is settled
CANCEL_FLAGS = ("needs_agreement", "agreed", "refused")


class SubcontractNode(Base):
    __tablename__ = "subcontract_nodes"
    __table_args__ = (CheckConstraint(f"cancel_flag IS NULL OR cancel_flag IN {CANCEL_FLAGS}", name="cancel_flag"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    # when the order's own booked work ends (its accepted quote, moved by re-plans); None before booking
    promised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # when the order is done counting the delays of its sub-tiers (promises.py): what its buyer is told
    tree_promised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the factory making this sub-order lets the buyers above see its name (else "a certified subcontractor")
    name_disclosed: Mapped[bool] = mapped_column(default=False)
    cancel_flag: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
