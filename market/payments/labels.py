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


# why a movement was made (Movement.reason, written by payments in English): what the portal shows
REASONS = {
    "paid after cancellation": _l("paid after cancellation"), "order cancelled": _l("order cancelled"),
    "dispute": _l("dispute"), "funded from the parent order's escrow": _l("funded from the parent order's escrow"),
    "sub-order cancelled with its parent": _l("sub-order cancelled with its parent"),
    "advance on assigned payout": _l("advance on an assigned payout"),
}


def label(code: str | None) -> str:
    return str(LABELS.get(code, code or ""))


def reason(text: str | None) -> str:
    """A movement's reason in the reader's language; one that names its payout ("advance on
    assigned payout <id>") reads without the id. A reason not known here (a person's note on an
    operator's refund) is shown as written."""
    text = (text or "").strip()
    for known, shown in REASONS.items():
        if text == known or text.startswith(known + " "):
            return str(shown)
    return text
