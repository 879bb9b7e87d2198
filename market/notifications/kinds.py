"""The catalogue of event kinds an organization may subscribe an endpoint to.

A kind is the `type` of a webhook payload ("quote.accepted"). Only kinds the platform can
produce today are listed; adding one is adding a line here (and wiring the event to it in
the notification core). The labels are what the portal shows.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

KINDS: dict[str, object] = {
    "order.invited": _l("Invited to quote on an order"),
    "quotes.ready": _l("Quotes are ready"),
    "quotes.none": _l("No quote possible"),
    "quote.accepted": _l("Quote accepted (you are booked)"),
    "booking.cancelled": _l("Booking cancelled or superseded"),
    "replan.done": _l("Re-plan done"),
    "replan.failed": _l("Re-plan failed"),
    "lot.started": _l("Lot started"),
    "operation.finished": _l("Operation finished"),
    "qc.failed": _l("Quality check failed"),
    "lot.shipped": _l("Lot shipped"),
    "order.delivered": _l("Order delivered"),
    "payment.requested": _l("Payment requested"),
    "payment.received": _l("Payment received"),
    "payment.overdue": _l("Payment overdue"),
    "payout.sent": _l("Payout sent"),
    "refund.issued": _l("Refund issued"),
    "dispute.opened": _l("Dispute opened"),
    "dispute.resolved": _l("Dispute resolved"),
    "message.posted": _l("Message posted on an order"),
    "consent.granted": _l("Data consent granted"),
    "consent.revoked": _l("Data consent revoked"),
    "consent.expiring": _l("Data consent expiring"),
    "credit.report_issued": _l("Credit report issued"),
    "machine.down": _l("Machine down"),
    # sent by the "Send test event" button only, to every endpoint whatever it subscribed to
    "webhook.test": _l("Test event"),
}

SUBSCRIBABLE = tuple(k for k in KINDS if k != "webhook.test")


def label(kind: str) -> str:
    return str(KINDS.get(kind, kind))
