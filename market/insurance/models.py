from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.accounts.models import Organization
from market.catalog.models import Factory, Machine
from market.db import Base, UTCDateTime, new_public_id, utcnow
from market.insurance.tariff import COVERAGES

STATUSES = ("offered", "active", "declined", "ended")
PREMIUM_STATUSES = ("open", "paid", "overdue")
CLAIM_STATUSES = ("filed", "approved", "rejected")


class Policy(Base):
    """One machine insured by an insurer for the factory that runs it, over [start_day,
    end_day) (the factory's local days; term_months monthly periods). Amounts are integer minor
    units of `currency`: the sum insured (for a breakdown policy also the limit of one claim),
    the indemnity per down hour beyond the deductible hours. The terms are committed on the
    ledger (salted) when offered and again when the insured accepts (the policy is issued)."""

    __tablename__ = "insurance_policies"
    __table_args__ = (
        CheckConstraint(f"coverage IN {COVERAGES}", name="coverage"),
        CheckConstraint(f"status IN {STATUSES}", name="status"),
        CheckConstraint("term_months BETWEEN 1 AND 60", name="term"),
        CheckConstraint("end_day > start_day", name="days"),
        CheckConstraint("sum_insured_minor > 0", name="sum_insured_positive"),
        CheckConstraint("rate_minor_per_hour >= 0", name="rate_non_negative"),
        CheckConstraint("deductible_hours BETWEEN 0 AND 720", name="deductible"),
        Index("ix_insurance_policies_insurer", "insurer_org_id"),
        Index("ix_insurance_policies_insured", "insured_org_id"),
        Index("ix_insurance_policies_machine", "machine_id", "coverage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    insurer_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    insured_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"))
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id"))
    coverage: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    term_months: Mapped[int]
    start_day: Mapped[date] = mapped_column(Date)
    end_day: Mapped[date] = mapped_column(Date)  # exclusive
    sum_insured_minor: Mapped[int] = mapped_column(BigInteger)
    rate_minor_per_hour: Mapped[int] = mapped_column(BigInteger, default=0)
    deductible_hours: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="offered")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    salt: Mapped[str] = mapped_column(String(64))
    terms: Mapped[dict] = mapped_column(JSON)  # the committed terms payload
    quote: Mapped[dict] = mapped_column(JSON)  # the indicative premium and its factors when offered
    offer_ledger_index: Mapped[int | None] = mapped_column(BigInteger)
    issued_ledger_index: Mapped[int | None] = mapped_column(BigInteger)

    insurer: Mapped[Organization] = relationship(foreign_keys=[insurer_org_id], lazy="joined")
    insured: Mapped[Organization] = relationship(foreign_keys=[insured_org_id], lazy="joined")
    factory: Mapped[Factory] = relationship(lazy="joined")
    machine: Mapped[Machine] = relationship(lazy="joined")


class PremiumInvoice(Base):
    """The premium of one monthly period [period_start, period_end), priced when the period
    starts from the rating window before it; the quote (every factor) is committed on the ledger."""

    __tablename__ = "insurance_premiums"
    __table_args__ = (
        UniqueConstraint("policy_id", "period_no", name="uq_insurance_premiums_policy_period"),
        CheckConstraint(f"status IN {PREMIUM_STATUSES}", name="status"),
        CheckConstraint("premium_minor >= 0", name="premium_non_negative"),
        CheckConstraint("period_end > period_start", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    policy_id: Mapped[int] = mapped_column(ForeignKey("insurance_policies.id"), index=True)
    period_no: Mapped[int]
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    premium_minor: Mapped[int] = mapped_column(BigInteger)
    quote: Mapped[dict] = mapped_column(JSON)  # tariff.Quote.as_dict() with the rating window
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    salt: Mapped[str] = mapped_column(String(64))
    committed: Mapped[dict] = mapped_column(JSON)
    ledger_index: Mapped[int | None] = mapped_column(BigInteger)
    paid_ledger_index: Mapped[int | None] = mapped_column(BigInteger)

    policy: Mapped[Policy] = relationship(lazy="joined")


class Claim(Base):
    """A downtime claim on a breakdown policy: the loss window [start_at, end_at), the down
    seconds it holds per local day (from the state intervals), each day's ledger-committed
    summary (entry, payload, salt) and the indemnity; committed on the ledger when filed and
    when the insurer decides."""

    __tablename__ = "insurance_claims"
    __table_args__ = (
        CheckConstraint(f"status IN {CLAIM_STATUSES}", name="status"),
        CheckConstraint("end_at > start_at", name="window"),
        CheckConstraint("down_s > 0", name="down_positive"),
        CheckConstraint("claimed_minor >= 0", name="claimed_non_negative"),
        CheckConstraint("approved_minor IS NULL OR (approved_minor >= 0 AND approved_minor <= claimed_minor)",
                        name="approved_within_claim"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    policy_id: Mapped[int] = mapped_column(ForeignKey("insurance_policies.id"), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    down_s: Mapped[int] = mapped_column(BigInteger)
    days: Mapped[dict] = mapped_column(JSON)  # local day (ISO) -> down seconds claimed on it
    day_entries: Mapped[list] = mapped_column(JSON)  # [{entry, payload, salt}] of each day's committed summary
    claimed_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="filed")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_minor: Mapped[int | None] = mapped_column(BigInteger)
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    salt: Mapped[str] = mapped_column(String(64))
    committed: Mapped[dict] = mapped_column(JSON)
    ledger_index: Mapped[int | None] = mapped_column(BigInteger)
    decided_ledger_index: Mapped[int | None] = mapped_column(BigInteger)

    policy: Mapped[Policy] = relationship(lazy="joined")
