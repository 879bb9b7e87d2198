"""Material lots, what part lots consumed (their genealogy) and the quality documents attached
to lots. Quantities of material are integer thousandths of their unit (`*_milli`): exact like
money's minor units, and the same on SQLite and PostgreSQL."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.catalog.models import Factory
from market.db import Base, UTCDateTime, new_public_id, utcnow

MATERIAL_SOURCES = ("buyer_supplied", "factory_procured")
UNITS = ("kg", "t", "g", "m", "mm", "m2", "l", "pcs")
DOCUMENT_KINDS = ("coc", "fai", "material_cert", "inspection_report")


class MaterialLot(Base):
    """A heat or batch of material a factory holds: bought by itself, or supplied by a buyer for
    one of its orders (then it may only go into that order's lots)."""

    __tablename__ = "material_lots"
    __table_args__ = (
        CheckConstraint(f"source IN {MATERIAL_SOURCES}", name="source"),
        CheckConstraint(f"unit IN {UNITS}", name="unit"),
        CheckConstraint("(source = 'buyer_supplied') = (order_id IS NOT NULL)", name="buyer_supplied_has_order"),
        CheckConstraint("quantity_milli > 0", name="quantity_positive"),
        # the last line of defence against over-consumption (the service checks first, with a message)
        CheckConstraint("remaining_milli >= 0 AND remaining_milli <= quantity_milli", name="remaining_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"), index=True)  # who holds it
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)  # buyer-supplied for
    source: Mapped[str] = mapped_column(String(16))
    material: Mapped[str] = mapped_column(String(100))
    grade: Mapped[str] = mapped_column(String(100), default="")  # grade or specification, e.g. "6061-T6"
    heat_number: Mapped[str] = mapped_column(String(100))  # heat or batch number of the mill
    supplier: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(8))
    quantity_milli: Mapped[int] = mapped_column(BigInteger)
    remaining_milli: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the private details (heat number, supplier, quantity) are committed on the ledger with this salt
    salt: Mapped[str] = mapped_column(String(32))
    ledger_index: Mapped[int | None]  # material.received

    factory: Mapped[Factory] = relationship(lazy="joined")
    documents: Mapped[list["LotDocument"]] = relationship(order_by="LotDocument.id", lazy="selectin",
                                                          foreign_keys="LotDocument.material_lot_id")


class LotInput(Base):
    """One input of a part lot (an EPCIS transformation: inputs -> the lot): a quantity of a
    material lot, or pieces of another part lot (a component, or a sub-tier's shipped lot)."""

    __tablename__ = "lot_inputs"
    __table_args__ = (
        CheckConstraint("(material_lot_id IS NOT NULL AND input_lot_id IS NULL AND quantity_milli > 0 "
                        "AND pieces IS NULL) OR (material_lot_id IS NULL AND input_lot_id IS NOT NULL "
                        "AND pieces > 0 AND quantity_milli IS NULL)", name="one_input"),
        CheckConstraint("input_lot_id IS NULL OR input_lot_id <> lot_id", name="not_itself"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)  # the output
    material_lot_id: Mapped[int | None] = mapped_column(ForeignKey("material_lots.id"), index=True)
    input_lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), index=True)
    quantity_milli: Mapped[int | None] = mapped_column(BigInteger)
    pieces: Mapped[int | None]
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"))  # the consuming factory
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    salt: Mapped[str] = mapped_column(String(32))  # the quantity is committed on the ledger
    ledger_index: Mapped[int | None]  # lot.consumed

    material_lot: Mapped[MaterialLot | None] = relationship(lazy="joined")


class LotDocument(Base):
    """A quality document attached to a part lot or a material lot. Its SHA-256 is on the
    ledger either way; a private one's file name is only committed, and its file is served to
    the parties of the order, never on the public trace page."""

    __tablename__ = "lot_documents"
    __table_args__ = (
        CheckConstraint(f"kind IN {DOCUMENT_KINDS}", name="kind"),
        CheckConstraint("(lot_id IS NULL) <> (material_lot_id IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), index=True)
    material_lot_id: Mapped[int | None] = mapped_column(ForeignKey("material_lots.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    public: Mapped[bool] = mapped_column(default=False)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"))  # whose document it is
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    salt: Mapped[str] = mapped_column(String(32))
    ledger_index: Mapped[int | None]  # document.attached

    factory: Mapped[Factory] = relationship(lazy="joined")
