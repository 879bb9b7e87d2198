"""What payments tells the domains above it (market/bus.py): the buyer's money was asked for,
arrived, went back, or is late; a factory was paid; a delivery will soon be confirmed for the
buyer. Not to be confused with events.py (the ledger entries payments writes)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PaymentRequested:
    """A quote was accepted: the buyer owes `amount_minor` (price + transport) into escrow
    under `reference`; published in the acceptance's unit of work."""

    order_id: int
    payment_id: int
    amount_minor: int
    currency: str
    reference: str


@dataclass(frozen=True)
class PaymentReceived:
    """The buyer's payment was captured (provider webhook, page sync or the operator's
    confirmation), once per payment, in the unit of work that records the capture."""

    order_id: int
    payment_id: int
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class PaymentOverdue:
    """The buyer has not paid `days` days after the quote was accepted (PAYMENT_DUE_DAYS);
    published once per payment by the periodic reminders (payments.reminders)."""

    order_id: int
    payment_id: int
    days: int


@dataclass(frozen=True)
class PayoutSent:
    """A factory's payout (`net_minor`: its share minus commission) was transferred; published
    in the unit of work that marks the transfer succeeded."""

    order_id: int
    payout_id: int
    factory_org_id: int
    net_minor: int
    currency: str


@dataclass(frozen=True)
class RefundIssued:
    """Money went back to the buyer (cancellation, dispute): `amount_minor` of this refund;
    published in the unit of work that marks it succeeded."""

    order_id: int
    payment_id: int
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class AutoConfirmComing:
    """A shipped order will be confirmed as delivered for the buyer (and paid out) at
    `confirm_at` (ISO) unless the buyer confirms or disputes first; published once per
    shipment by the periodic reminders, AUTO_CONFIRM_NOTICE_DAYS ahead."""

    order_id: int
    confirm_at: str


@dataclass(frozen=True)
class AssigneePaid:
    """The escrow paid `amount_minor` of an assigned payout to its assignee (a lender); the
    assignment (`reference`: the assignee's contract) has now received `paid_minor` of
    `due_minor` and is `state` (active, settled). In the unit of work of the payment."""

    assignment_id: int
    reference: str
    amount_minor: int
    paid_minor: int
    due_minor: int
    state: str


@dataclass(frozen=True)
class ContractTransferDone:
    """Money under a contract (payments/contracts.py: a lease's disbursement to the supplier,
    a period's rent) reached the payee; published in the unit of work that records it, so
    the contract's owner books it in the same transaction. `done_at`: ISO instant."""

    transfer_id: int
    kind: str
    contract: str
    item: str
    amount_minor: int
    done_at: str
