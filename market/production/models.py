from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.catalog.models import Factory, Machine
from market.db import Base, UTCDateTime, new_public_id, utcnow

LOT_STATUSES = ("in_production", "shipped", "delivered")
QC_RESULTS = ("pass", "fail")


class Lot(Base):
    """A quantity of one order made and shipped together; its trace code is public."""

    __tablename__ = "lots"
    __table_args__ = (CheckConstraint(f"status IN {LOT_STATUSES}", name="status"),
                      CheckConstraint("quantity > 0", name="quantity_positive"),
                      CheckConstraint("consumed_pieces >= 0 AND consumed_pieces <= quantity", name="consumed_in_range"),
                      Index("ix_lots_updated_at_id", "updated_at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    trace_code: Mapped[str] = mapped_column(String(16), unique=True)
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="in_production")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # every change moves it (onupdate): the API's updated_since sync reads it (migration 0037)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    ledger_index: Mapped[int | None]  # lot.commissioned
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipped_by_factory_id: Mapped[int | None] = mapped_column(ForeignKey("factories.id"))
    carrier: Mapped[str] = mapped_column(String(100), default="")
    tracking_ref: Mapped[str] = mapped_column(String(100), default="")
    ship_ledger_index: Mapped[int | None]
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivery_ledger_index: Mapped[int | None]
    # pieces of this lot that went into other lots (material_models.LotInput); never more than made
    consumed_pieces: Mapped[int] = mapped_column(default=0)

    operations: Mapped[list["LotOperation"]] = relationship(order_by="LotOperation.seq", lazy="selectin")
    qc_results: Mapped[list["QcResult"]] = relationship(order_by="QcResult.id", lazy="selectin")


class LotOperation(Base):
    """One routing step of one lot on one machine: started, then finished with counts."""

    __tablename__ = "lot_operations"
    __table_args__ = (UniqueConstraint("lot_id", "seq"),
                      CheckConstraint("good >= 0 AND rejected >= 0", name="counts_non_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    seq: Mapped[int]
    process_code: Mapped[str] = mapped_column(String(64))
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"), index=True)
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    start_ledger_index: Mapped[int | None]
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    good: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    finish_ledger_index: Mapped[int | None]

    factory: Mapped[Factory] = relationship(lazy="joined")
    machine: Mapped[Machine] = relationship(lazy="joined")


class QcResult(Base):
    """An inspection of a lot (after one operation, or the final one when seq is None)."""

    __tablename__ = "qc_results"
    __table_args__ = (CheckConstraint(f"result IN {QC_RESULTS}", name="result"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"), index=True)
    operation_seq: Mapped[int | None]
    result: Mapped[str] = mapped_column(String(4))
    # [{"name", "value", "unit", "lower", "upper"}]: decimal strings, exactly as measured
    measurements: Mapped[list[dict]] = mapped_column(JSON, default=list)
    # ISO 2859-1 plan and the nonconforming count found (production.sampling), when sampled
    sampling: Mapped[dict | None] = mapped_column(JSON)
    inspector: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ledger_index: Mapped[int | None]
    # a correction is a new record (and ledger event) naming the one it corrects
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("qc_results.id"))

    factory: Mapped[Factory] = relationship(lazy="joined")
    corrects: Mapped["QcResult | None"] = relationship(remote_side="QcResult.id", back_populates="corrected_by")
    corrected_by: Mapped[list["QcResult"]] = relationship(back_populates="corrects")
