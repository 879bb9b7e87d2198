"""Payment settings from the environment (safe defaults: the offline provider)."""
from __future__ import annotations

import os

from flask import Flask


def init_app(app: Flask) -> None:
    env = os.environ.get
    defaults = {
        "STRIPE_SECRET_KEY": env("STRIPE_SECRET_KEY", ""),
        "STRIPE_PUBLISHABLE_KEY": env("STRIPE_PUBLISHABLE_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": env("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_API_BASE": env("STRIPE_API_BASE", ""),  # empty: Stripe's own
        "STRIPE_JS_URL": env("STRIPE_JS_URL", "https://js.stripe.com/v3/"),
        "STRIPE_CONNECT_COUNTRY": env("STRIPE_CONNECT_COUNTRY", ""),
        "STRIPE_MAX_RETRIES": int(env("STRIPE_MAX_RETRIES", 3)),
        "STRIPE_TIMEOUT_S": float(env("STRIPE_TIMEOUT_S", 20)),
        "STRIPE_RETRY_BACKOFF_S": float(env("STRIPE_RETRY_BACKOFF_S", 0.5)),
        "STRIPE_WEBHOOK_TOLERANCE_S": int(env("STRIPE_WEBHOOK_TOLERANCE_S", 300)),
        "DELIVERY_AUTO_CONFIRM_DAYS": float(env("DELIVERY_AUTO_CONFIRM_DAYS", 14)),
        "PAYMENT_BEFORE_PRODUCTION": env("PAYMENT_BEFORE_PRODUCTION", "0") == "1",
        "PAYMENT_CLAIM_LEASE_S": int(env("PAYMENT_CLAIM_LEASE_S", 300)),
        "PLATFORM_BANK_DETAILS": env("PLATFORM_BANK_DETAILS",
                                     "Beneficiary: Shared Manufacturing Platform Ltd. | Bank: (set PLATFORM_BANK_DETAILS) | "
                                     "Account: (set PLATFORM_BANK_DETAILS)"),
        "PLATFORM_LEGAL_NAME": env("PLATFORM_LEGAL_NAME", "Shared Manufacturing Platform"),
    }
    for key, value in defaults.items():
        app.config.setdefault(key, value)
    from market.payments.documents import format_minor
    from market.payments.labels import label
    from market.payments.services import quote_terms

    app.jinja_env.globals.update(pay_label=label, fmt_minor=format_minor, quote_terms=quote_terms)
