"""Display names of payment states and movement kinds (en, zh_CN through Babel)."""
from flask_babel import lazy_gettext as _l

LABELS = {
    "requires_payment": _l("Awaiting payment"), "processing": _l("Processing"), "captured": _l("Paid"),
    "partially_refunded": _l("Partially refunded"), "refunded": _l("Refunded"), "cancelled": _l("Cancelled"),
    "held": _l("Held until delivery"), "frozen": _l("Frozen by a dispute"), "releasing": _l("Being paid out"),
    "paid": _l("Paid out"), "pending": _l("Pending"), "succeeded": _l("Done"), "failed": _l("Failed"),
    "intent": _l("Payment requested"), "capture": _l("Payment received"), "transfer": _l("Payout"),
    "commission": _l("Commission"), "commission_return": _l("Commission returned"), "refund": _l("Refund"),
    "reversal": _l("Payout reversed"), "open": _l("Under review"), "resolving": _l("Being resolved"), "resolved": _l("Resolved"),
    "released": _l("Payouts released"), "partial_refund": _l("Partial refund"), "full_refund": _l("Full refund"),
    "disbursement": _l("Lender's advance"), "assignee_payment": _l("Repaid to the lender"),
    "proposed": _l("Proposed"), "disbursing": _l("Advance on its way"), "active": _l("Assigned"),
    "settled": _l("Lender repaid"), "recourse": _l("Recourse on the factory"), "withdrawn": _l("Withdrawn"),
    "free": _l("Free"), "pro": _l("Pro"), "offline": _l("Bank transfer"), "stripe": _l("Card (Stripe)"),
}


def label(code: str | None) -> str:
    return str(LABELS.get(code, code or ""))
