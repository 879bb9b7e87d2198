"""Consents, the access log, issued credit reports, and financing with its repayments.

Private figures (amounts, scores, who the lender is) stay in these tables; the ledger gets
a salted commitment to them (`salt` + `ledger_index` on the row, see ledger.disclosure).
"""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.accounts.models import Organization
from market.catalog.models import Factory
from market.db import Base, UTCDateTime, new_public_id, utcnow

# organizations a factory may grant a consent to: lenders (credit, leases) and insurers (policies)
GRANTEE_KINDS = ("lender", "insurer")
PURPOSES = ("credit_assessment", "order_financing", "equipment_financing", "monitoring", "insurance")
ACCESS_ACTIONS = ("granted", "revoked", "report_issued", "report_viewed", "report_pdf", "evidence_downloaded",
                  "application_reviewed", "refused", "monitored")
FINANCING_KINDS = ("order", "equipment")
FINANCING_STATUSES = ("submitted", "approved", "declined", "disbursed", "repaid", "withdrawn")


class Consent(Base):
    """A factory lets one lender read its data for a purpose over [valid_from, valid_until)."""

    __tablename__ = "credit_consents"
    __table_args__ = (CheckConstraint(f"purpose IN {PURPOSES}", name="purpose"),
                      CheckConstraint("valid_until > valid_from", name="period"),
                      Index("ix_credit_consents_lender_factory", "lender_org_id", "factory_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"), index=True)
    lender_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    purpose: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    salt: Mapped[str] = mapped_column(String(64))
    ledger_index: Mapped[int | None] = mapped_column(BigInteger)

    factory: Mapped[Factory] = relationship(lazy="joined")
    lender: Mapped[Organization] = relationship(lazy="joined")

    def live_at(self, at: datetime) -> bool:
        return self.revoked_at is None and self.valid_from <= at < self.valid_until


class AccessLogEntry(Base):
    """Who looked at (or was refused) a factory's credit data, and when: the factory's
    'who looked at my data' page. Each row has its own ledger event."""

    __tablename__ = "credit_access_log"
    __table_args__ = (CheckConstraint(f"action IN {ACCESS_ACTIONS}", name="action"),
                      Index("ix_credit_access_log_factory_at", "factory_id", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"))
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("credit_consents.id"))
    lender_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(24))
    detail: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    salt: Mapped[str] = mapped_column(String(64))
    ledger_index: Mapped[int | None] = mapped_column(BigInteger)

    lender: Mapped[Organization] = relationship(lazy="joined")


class CreditReport(Base):
    """A report as issued to one lender: its content (canonical JSON, no floats) is frozen,
    and the ledger holds a commitment to its SHA-256, so the lender can later prove what it saw."""

    __tablename__ = "credit_reports"
    __table_args__ = (Index("ix_credit_reports_lender_factory", "lender_org_id", "factory_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"), index=True)
    lender_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    consent_id: Mapped[int] = mapped_column(ForeignKey("credit_consents.id"))
    scorecard_version: Mapped[str] = mapped_column(String(40))
    # all three None when the evidence is below the minimum (content["rating"] says why)
    score: Mapped[int | None]
    pd_ppm: Mapped[int | None]  # probability of default, parts per million
    grade: Mapped[str | None] = mapped_column(String(4))
    content: Mapped[dict] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    evidence: Mapped[dict] = mapped_column(JSON)  # fact specs + disclosures (proofs added on download)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    salt: Mapped[str] = mapped_column(String(64))
    ledger_index: Mapped[int | None] = mapped_column(BigInteger)

    factory: Mapped[Factory] = relationship(lazy="joined")


class FinancingApplication(Base):
    """A factory asks a lender for order financing (against an accepted order's
    receivable) or equipment financing; the lender decides with the report in hand."""

    __tablename__ = "financing_applications"
    __table_args__ = (CheckConstraint(f"kind IN {FINANCING_KINDS}", name="kind"),
                      CheckConstraint(f"status IN {FINANCING_STATUSES}", name="status"),
                      CheckConstraint("amount_minor > 0", name="amount_positive"),
                      CheckConstraint("term_months > 0", name="term_positive"),
                      Index("ix_financing_applications_lender_status", "lender_org_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"), index=True)
    lender_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    kind: Mapped[str] = mapped_column(String(12))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    term_months: Mapped[int]
    purpose: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(12), default="submitted")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("credit_reports.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    rate_bp: Mapped[int | None]  # annual rate in basis points
    decline_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    disbursed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    salt: Mapped[str] = mapped_column(String(64))
    ledger_index: Mapped[int | None] = mapped_column(BigInteger)
    decision_salt: Mapped[str | None] = mapped_column(String(64))
    decision_ledger_index: Mapped[int | None] = mapped_column(BigInteger)
    disbursement_salt: Mapped[str | None] = mapped_column(String(64))
    disbursement_ledger_index: Mapped[int | None] = mapped_column(BigInteger)
    disbursement_payload: Mapped[dict | None] = mapped_column(JSON)  # committed: amount + repayment schedule

    factory: Mapped[Factory] = relationship(lazy="joined")
    lender: Mapped[Organization] = relationship(lazy="joined")
    repayments: Mapped[list["Repayment"]] = relationship(order_by="Repayment.seq", lazy="selectin")


class Repayment(Base):
    """One instalment of a disbursed financing: due date and amount, and when it was paid."""

    __tablename__ = "financing_repayments"
    __table_args__ = (Index("uq_financing_repayments_app_seq", "application_id", "seq", unique=True),
                      CheckConstraint("amount_minor > 0", name="amount_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    application_id: Mapped[int] = mapped_column(ForeignKey("financing_applications.id"))
    seq: Mapped[int]
    due_on: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    salt: Mapped[str | None] = mapped_column(String(64))
    ledger_index: Mapped[int | None] = mapped_column(BigInteger)
    committed: Mapped[dict | None] = mapped_column(JSON)

    def overdue_on(self, today: date) -> bool:
        return self.paid_at is None and self.due_on < today
