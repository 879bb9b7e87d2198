"""What insurance tells the domains above it (market/bus.py): a policy issued, a premium
invoiced, a claim filed or decided. Not the ledger entries (events.py). Events carry ids; the
listener reads what its reader may know."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PolicyIssued:
    """The insured accepted an insurer's offer: the policy runs from its start day."""

    policy_id: int


@dataclass(frozen=True)
class PremiumInvoiced:
    """A period's premium was priced and invoiced to the insured."""

    invoice_id: int


@dataclass(frozen=True)
class ClaimFiled:
    """The insured filed a downtime claim; the insurer decides it."""

    claim_id: int


@dataclass(frozen=True)
class ClaimDecided:
    """The insurer approved (with an amount) or rejected a claim."""

    claim_id: int
