"""Payment, payout, movement and dispute states. States move only forward (by rank), so a
late or replayed provider event can never move a record back. Pure."""
from __future__ import annotations

TIERS = ("free", "pro")

# the buyer's payment
PAYMENT_STATES = ("requires_payment", "processing", "captured", "partially_refunded", "refunded", "cancelled")
PAYMENT_RANK = {"requires_payment": 0, "processing": 1, "captured": 2, "partially_refunded": 3, "refunded": 4,
                "cancelled": 4}

# one factory's payout
PAYOUT_STATES = ("held", "frozen", "releasing", "paid", "cancelled")

# disbursement: a lender's advance to the factory on an assigned payout (the lender's money,
# not the escrow's); assignee_payment: the escrow pays the assignee (lender) first on release
MOVEMENT_KINDS = ("intent", "capture", "transfer", "commission", "commission_return", "refund", "reversal",
                  "disbursement", "assignee_payment")
MOVEMENT_STATES = ("pending", "succeeded", "failed")
MOVEMENT_RANK = {"pending": 0, "succeeded": 1, "failed": 1}

DISPUTE_STATES = ("open", "resolving", "resolved")
DISPUTE_OUTCOMES = ("released", "partial_refund", "full_refund")


def moves_forward(ranks: dict[str, int], current: str, target: str) -> bool:
    """True when `target` is later than `current` (an event for an earlier state is stale)."""
    return ranks[target] > ranks[current]

# a payout assigned to a lender (receivables financing, market/payments/assignments.py)
ASSIGNMENT_STATES = ("proposed", "disbursing", "active", "settled", "recourse", "withdrawn")
