"""Payments: one charge per order, one payout per factory of the order, every money
movement as a row (with its idempotency attempt, provider id and ledger commitment)."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import Base, UTCDateTime, new_public_id, utcnow
from market.payments.states import (ASSIGNMENT_STATES, DISPUTE_OUTCOMES, DISPUTE_STATES, MOVEMENT_KINDS, MOVEMENT_STATES,
                                    PAYMENT_STATES, PAYOUT_STATES, TIERS)


class CommissionRule(Base):
    """Commission for a subscription tier, per process class (NULL class: the tier's default)."""

    __tablename__ = "commission_rules"
    __table_args__ = (
        Index("uq_commission_rules_tier_class", "tier", "process_class", unique=True),
        CheckConstraint(f"tier IN {TIERS}", name="tier"),
        CheckConstraint("percent_bp >= 0 AND percent_bp <= 10000", name="percent_range"),
        CheckConstraint("minimum_minor >= 0", name="minimum_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tier: Mapped[str] = mapped_column(String(12))
    process_class: Mapped[str | None] = mapped_column(String(64))
    percent_bp: Mapped[int]  # basis points: 800 = 8.00 %
    minimum_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class FactoryPlan(Base):
    """A factory organization's subscription tier (no row: free)."""

    __tablename__ = "factory_plans"
    __table_args__ = (CheckConstraint(f"tier IN {TIERS}", name="tier"),)

    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    tier: Mapped[str] = mapped_column(String(12), default="free")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PaymentAccount(Base):
    """A factory organization's connected account at the provider (Stripe Connect)."""

    __tablename__ = "payment_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), unique=True)
    provider: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    details_submitted: Mapped[bool] = mapped_column(default=False)
    payouts_enabled: Mapped[bool] = mapped_column(default=False)
    transfers_status: Mapped[str] = mapped_column(String(16), default="inactive")
    requirements_due: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Payment(Base):
    """The buyer's payment for an accepted quote: price + transport, captured in full."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(f"state IN {PAYMENT_STATES}", name="state"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"))
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(20), default="requires_payment")
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(String(32), unique=True)  # bank transfer reference / invoice number
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)  # PaymentIntent id
    client_secret: Mapped[str | None] = mapped_column(String(200))
    attempt: Mapped[int] = mapped_column(default=1)
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    payouts: Mapped[list["Payout"]] = relationship(order_by="Payout.id", lazy="selectin")
    movements: Mapped[list["Movement"]] = relationship(order_by="Movement.id", lazy="selectin")


class Payout(Base):
    """What one factory of the order is owed: its quote lines (+ its transport legs) minus
    commission. Held until delivery, frozen by a dispute, then paid by a transfer."""

    __tablename__ = "payouts"
    __table_args__ = (
        Index("uq_payouts_payment_factory", "payment_id", "factory_id", unique=True),
        CheckConstraint(f"state IN {PAYOUT_STATES}", name="state"),
        CheckConstraint("commission_minor >= 0 AND commission_minor <= gross_minor", name="commission_within_gross"),
        CheckConstraint("subcontracted_minor >= 0", name="subcontracted_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"), index=True)
    factory_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="held")
    tier: Mapped[str] = mapped_column(String(12), default="free")
    gross_minor: Mapped[int] = mapped_column(BigInteger)  # the factory's lines + transport share, after any dispute refund
    commission_minor: Mapped[int] = mapped_column(BigInteger)
    # set aside from this payout for the escrows of the sub-orders this factory placed for
    # the order's operations (market/payments/sub_escrow.py): each tier pays its
    # subcontractors out of its own payout, so it is transferred less by that much
    subcontracted_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    breakdown: Mapped[list[dict]] = mapped_column(JSON, default=list)  # per process class: amount, rule, commission
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    factory = relationship("Factory", lazy="joined")

    @property
    def net_minor(self) -> int:
        """What is transferred to the factory: its share minus commission minus what it set
        aside for its subcontractors."""
        return self.gross_minor - self.commission_minor - self.subcontracted_minor


class Movement(Base):
    """One money movement (or commitment) on an order: intent, capture, transfer, commission,
    refund, reversal. Written before the provider is called (state 'pending'), finished when
    the provider answers or its webhook arrives. Its ledger entry commits to the amount."""

    __tablename__ = "payment_movements"
    __table_args__ = (
        CheckConstraint(f"kind IN {MOVEMENT_KINDS}", name="kind"),
        CheckConstraint(f"state IN {MOVEMENT_STATES}", name="state"),
        CheckConstraint("amount_minor >= 0", name="amount_nonnegative"),
        Index("ix_payment_movements_state_kind", "state", "kind"),
        Index("ix_payment_movements_factory_done", "factory_id", "done_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"))
    factory_id: Mapped[int | None] = mapped_column(ForeignKey("factories.id"))
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(12), default="pending")
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    provider: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str | None] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(default=1)
    reason: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str] = mapped_column(default="")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a worker is calling the provider
    salt: Mapped[str | None] = mapped_column(String(32))
    ledger_index: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def idempotency_key(self) -> str:
        """Derived from our record and its attempt: a retry of the same attempt reuses it."""
        return f"smm-{self.kind}-{self.public_id}-a{self.attempt}"


class Dispute(Base):
    __tablename__ = "disputes"
    __table_args__ = (
        CheckConstraint(f"state IN {DISPUTE_STATES}", name="state"),
        CheckConstraint(f"outcome IS NULL OR outcome IN {DISPUTE_OUTCOMES}", name="outcome"),
        Index("ix_disputes_order_state", "order_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    opened_by_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    from_state: Mapped[str] = mapped_column(String(16))  # the order state the dispute interrupted
    reason: Mapped[str] = mapped_column(default="")
    qc_data: Mapped[str] = mapped_column(default="")
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)  # attachment public ids
    state: Mapped[str] = mapped_column(String(12), default="open")
    outcome: Mapped[str | None] = mapped_column(String(16))
    refund_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    resolution_note: Mapped[str] = mapped_column(default="")
    salt: Mapped[str | None] = mapped_column(String(32))
    opened_ledger_index: Mapped[int | None]
    resolved_ledger_index: Mapped[int | None]
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DisputeOutcome(Base):
    """A dispute as it concerns one factory of the order: the scorecard and credit report read this."""

    __tablename__ = "dispute_outcomes"
    __table_args__ = (Index("ix_dispute_outcomes_factory_opened", "factory_id", "opened_at"),
                      Index("uq_dispute_outcomes_dispute_factory", "dispute_id", "factory_id", unique=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"))
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))  # NULL while open
    refund_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # this factory's share of the refund
    currency: Mapped[str] = mapped_column(String(3))


class WebhookEvent(Base):
    """A provider event processed once: its id is the primary key (a replay is a no-op)."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PayoutAssignment(Base):
    """A factory's payout on one order assigned to an assignee (a lender that advanced money
    on it): on release the escrow pays the assignee `due_minor` (principal + fee) first and
    the factory the rest. Proposed when the factory applies, confirmed by the buyer (the
    payable is real), disbursed by the assignee, then settled from the payout or, when the
    payout cannot cover it (dispute, refund, the buyer never pays), a recourse claim on the
    factory for `due_minor - paid_minor`."""

    __tablename__ = "payout_assignments"
    __table_args__ = (
        CheckConstraint(f"state IN {ASSIGNMENT_STATES}", name="state"),
        CheckConstraint("principal_minor > 0", name="principal_positive"),
        CheckConstraint("fee_minor >= 0", name="fee_nonnegative"),
        CheckConstraint("paid_minor >= 0", name="paid_nonnegative"),
        Index("ix_payout_assignments_payout_state", "payout_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    payout_id: Mapped[int] = mapped_column(ForeignKey("payouts.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"), index=True)
    assignee_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)  # the assignee's contract id (opaque here)
    state: Mapped[str] = mapped_column(String(12), default="proposed")
    principal_minor: Mapped[int] = mapped_column(BigInteger)
    fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # received by the assignee from the payout
    currency: Mapped[str] = mapped_column(String(3))
    due_on: Mapped[date | None] = mapped_column(Date)  # the buyer's money due by then, else recourse
    buyer_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    buyer_confirmed_ledger_index: Mapped[int | None]
    salt: Mapped[str] = mapped_column(String(32))
    ledger_index: Mapped[int | None]  # payment.assigned (commitment to the terms)
    settled_ledger_index: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def due_minor(self) -> int:
        return self.principal_minor + self.fee_minor

    @property
    def outstanding_minor(self) -> int:
        return max(0, self.due_minor - self.paid_minor)


CONTRACT_TRANSFER_KINDS = ("lease_disbursement", "lease_rent")
CONTRACT_TRANSFER_STATES = ("pending", "succeeded", "failed")


class ContractTransfer(Base):
    """Money between two organizations under a contract that is not an order's escrow: a
    lessor paying an equipment supplier, a lessee paying rent (payments/contracts.py). The
    contract's owner (leasing) names it by opaque ids (`contract`, `item`); at most one live
    (pending or succeeded) transfer per kind and item. Its ledger entries commit to the amount."""

    __tablename__ = "contract_transfers"
    __table_args__ = (
        CheckConstraint(f"kind IN {CONTRACT_TRANSFER_KINDS}", name="kind"),
        CheckConstraint(f"state IN {CONTRACT_TRANSFER_STATES}", name="state"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("payer_org_id <> payee_org_id", name="two_parties"),
        Index("ix_contract_transfers_contract", "contract"),
        Index("uq_contract_transfers_live_item", "kind", "item", unique=True,
              sqlite_where=text("state IN ('pending', 'succeeded')"),
              postgresql_where=text("state IN ('pending', 'succeeded')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    kind: Mapped[str] = mapped_column(String(24))
    contract: Mapped[str] = mapped_column(String(64))  # e.g. the lease's public id
    item: Mapped[str] = mapped_column(String(64))  # e.g. the lease (disbursement) or the rent invoice
    payer_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    payee_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    provider: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(12), default="pending")
    external_id: Mapped[str | None] = mapped_column(String(64))
    salt: Mapped[str] = mapped_column(String(32))
    ledger_index: Mapped[int | None] = mapped_column(BigInteger)
    done_ledger_index: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
