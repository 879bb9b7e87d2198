from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.accounts.models import Organization
from market.db import Base, UTCDateTime, new_public_id, utcnow

MACHINE_STATUSES = ("active", "maintenance", "retired")
PRICING_MODES = ("per_hour", "per_piece", "percent_of_value")
WINDOW_STATUSES = ("open", "booked", "unavailable", "withdrawn")


class Factory(Base):
    __tablename__ = "factories"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500))
    latitude: Mapped[float]
    longitude: Mapped[float]
    # the region as the factory wrote it; in China also resolved to its GB/T 2260 division
    # (market/regions), which search and credit peers use. Elsewhere country, region and city
    # stay free text and match as written (case and surrounding spaces aside).
    region: Mapped[str] = mapped_column(String(100), index=True)
    country: Mapped[str] = mapped_column(String(2), default="CN", server_default="CN")
    city: Mapped[str] = mapped_column(String(100), default="", server_default="")
    region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    certifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship(lazy="joined")
    machines: Mapped[list["Machine"]] = relationship(back_populates="factory", order_by="Machine.id")


class Machine(Base):
    __tablename__ = "machines"
    __table_args__ = (
        CheckConstraint(f"status IN {MACHINE_STATUSES}", name="status"),
        CheckConstraint("hourly_rate_minor >= 0", name="rate_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")
    hourly_rate_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    envelope_x_mm: Mapped[int | None]
    envelope_y_mm: Mapped[int | None]
    envelope_z_mm: Mapped[int | None]
    tolerance_um: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    factory: Mapped[Factory] = relationship(back_populates="machines", lazy="joined")
    process_rows: Mapped[list["MachineProcess"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="MachineProcess.process_code"
    )

    @property
    def processes(self) -> list[str]:
        return [row.process_code for row in self.process_rows]


class MachineProcess(Base):
    __tablename__ = "machine_processes"
    __table_args__ = (Index("ix_machine_processes_code_machine", "process_code", "machine_id"),)

    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id", ondelete="CASCADE"), primary_key=True)
    process_code: Mapped[str] = mapped_column(String(64), primary_key=True)


class CapacityWindow(Base):
    """A machine offered for [start_at, end_at). `price` is minor units per hour or per
    piece, or basis points of the job value for percent_of_value."""

    __tablename__ = "capacity_windows"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="end_after_start"),
        CheckConstraint(f"pricing_mode IN {PRICING_MODES}", name="pricing_mode"),
        CheckConstraint(f"status IN {WINDOW_STATUSES}", name="status"),
        CheckConstraint("price >= 0", name="price_nonnegative"),
        CheckConstraint("min_lot >= 1", name="min_lot_positive"),
        CheckConstraint("lead_time_days >= 0", name="lead_time_nonnegative"),
        Index("ix_capacity_windows_machine_status_start", "machine_id", "status", "start_at", "end_at"),
        Index("ix_capacity_windows_status_start", "status", "start_at"),
        Index("ix_capacity_windows_updated_at_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id"))
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pricing_mode: Mapped[str] = mapped_column(String(20))
    price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    min_lot: Mapped[int] = mapped_column(default=1)
    lead_time_days: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="open")
    series_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    # set when the window is the booked slice of an accepted quote
    booked_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # every change moves it (onupdate): the API's updated_since sync reads it (migration 0037)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    machine: Mapped[Machine] = relationship(lazy="joined")
