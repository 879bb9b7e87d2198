"""Template helpers of the payment pages (amounts, labels, a quote's payment terms)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from market.payments.documents import format_minor
    from market.payments.labels import label, reason
    from market.payments.services import quote_terms

    app.jinja_env.globals.update(pay_label=label, movement_reason=reason, fmt_minor=format_minor, quote_terms=quote_terms)
