from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, LargeBinary, String, UniqueConstraint,
                        Uuid, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.accounts.models import Organization
from market.catalog.models import Factory, Machine
from market.db import Base, UTCDateTime, new_public_id, utcnow

KINDS = ("new", "leaseback")  # new: bought from an equipment supplier; leaseback: bought from the lessee
SCHEDULES = ("fixed", "usage", "hybrid")
STATUSES = ("offered", "signed", "active", "declined", "ended")
INVOICE_STATUSES = ("open", "paid", "overdue")


class Lease(Base):
    """One machine leased by a lessor to the factory that runs it. Amounts are integer minor
    units of `currency`. Rent per monthly period = fixed_minor + max(floor_minor,
    rate_minor_per_hour x run hours) (ledger.evidence.usage_rent): a fixed schedule has no
    rate and floor, a usage one no fixed part, a hybrid both. The terms are committed on the
    ledger (salted) when offered and again when the lessee signs."""

    __tablename__ = "leases"
    __table_args__ = (
        CheckConstraint(f"kind IN {KINDS}", name="kind"),
        CheckConstraint(f"schedule IN {SCHEDULES}", name="schedule"),
        CheckConstraint(f"status IN {STATUSES}", name="status"),
        CheckConstraint("term_months BETWEEN 1 AND 120", name="term"),
        CheckConstraint("price_minor > 0 AND down_payment_minor >= 0 AND down_payment_minor <= price_minor",
                        name="price"),
        CheckConstraint("fixed_minor >= 0 AND rate_minor_per_hour >= 0 AND floor_minor >= 0", name="rent_non_negative"),
        Index("ix_leases_lessor", "lessor_org_id"),
        Index("ix_leases_lessee", "lessee_org_id"),
        Index("ix_leases_machine", "machine_id"),
        # one open lease per machine, whatever races past the service's check
        Index("uq_leases_machine_open", "machine_id", unique=True,
              sqlite_where=text("status IN ('offered', 'signed', 'active')"),
              postgresql_where=text("status IN ('offered', 'signed', 'active')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    lessor_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    lessee_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"))
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id"))
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))  # the payee of the disbursement
    kind: Mapped[str] = mapped_column(String(16))
    schedule: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    term_months: Mapped[int]
    price_minor: Mapped[int] = mapped_column(BigInteger)  # what the lessor pays the supplier
    down_payment_minor: Mapped[int] = mapped_column(BigInteger)  # what the lessee pays up front
    fixed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    rate_minor_per_hour: Mapped[int] = mapped_column(BigInteger, default=0)
    floor_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default="offered")
    start_day: Mapped[date | None] = mapped_column(Date)  # first day of the first rent period (factory's local day)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disbursed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disbursed_minor: Mapped[int | None] = mapped_column(BigInteger)
    salt: Mapped[str] = mapped_column(String(64))
    terms: Mapped[dict] = mapped_column(JSON)  # the committed terms payload
    offer_ledger_index: Mapped[int | None] = mapped_column(BigInteger)
    signed_ledger_index: Mapped[int | None] = mapped_column(BigInteger)
    disbursed_ledger_index: Mapped[int | None] = mapped_column(BigInteger)
    disbursement_salt: Mapped[str | None] = mapped_column(String(64))
    # the contract as signed, in English and Chinese; their SHA-256 are in the signature's commitment
    contract_pdf_en: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    contract_pdf_zh: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    contract_sha256: Mapped[dict | None] = mapped_column(JSON)

    lessor: Mapped[Organization] = relationship(foreign_keys=[lessor_org_id], lazy="joined")
    lessee: Mapped[Organization] = relationship(foreign_keys=[lessee_org_id], lazy="joined")
    supplier: Mapped[Organization] = relationship(foreign_keys=[supplier_org_id], lazy="joined")
    factory: Mapped[Factory] = relationship(lazy="joined")
    machine: Mapped[Machine] = relationship(lazy="joined")


class RentInvoice(Base):
    """The rent of one monthly period [period_start, period_end), computed from the leased
    machine's ledger-committed daily summaries; its figures are committed on the ledger."""

    __tablename__ = "lease_invoices"
    __table_args__ = (
        UniqueConstraint("lease_id", "period_no", name="uq_lease_invoices_lease_period"),
        CheckConstraint(f"status IN {INVOICE_STATUSES}", name="status"),
        CheckConstraint("rent_minor >= 0 AND run_total_s >= 0", name="non_negative"),
        CheckConstraint("period_end > period_start", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    lease_id: Mapped[int] = mapped_column(ForeignKey("leases.id"), index=True)
    period_no: Mapped[int]
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    days: Mapped[int]  # committed machine days counted
    run_total_s: Mapped[int] = mapped_column(BigInteger)
    rent_minor: Mapped[int] = mapped_column(BigInteger)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    days_late: Mapped[int | None]
    salt: Mapped[str] = mapped_column(String(64))
    committed: Mapped[dict] = mapped_column(JSON)
    day_entries: Mapped[list] = mapped_column(JSON)  # ledger indexes of the machine days counted
    ledger_index: Mapped[int | None] = mapped_column(BigInteger)
    overdue_ledger_index: Mapped[int | None] = mapped_column(BigInteger)
    paid_ledger_index: Mapped[int | None] = mapped_column(BigInteger)

    lease: Mapped[Lease] = relationship(lazy="joined")
