"""Which provider pays: Stripe when STRIPE_SECRET_KEY is set, else the offline provider.
A payment keeps the provider it was made with (`Payment.provider`)."""
from __future__ import annotations

from flask import current_app

from market.payments.providers.base import AccountStatus, Provider, ProviderUnavailable, Result  # noqa: F401


def configured_name() -> str:
    return "stripe" if current_app.config.get("STRIPE_SECRET_KEY") else "offline"


def get_provider(name: str | None = None) -> Provider:
    name = name or configured_name()
    cache = current_app.extensions.setdefault("payment_providers", {})
    if name not in cache:
        if name == "stripe":
            from market.payments.providers.stripe_connect import StripeProvider

            cfg = current_app.config
            if not cfg.get("STRIPE_SECRET_KEY"):
                raise RuntimeError("a Stripe payment exists but STRIPE_SECRET_KEY is not set")
            cache[name] = StripeProvider(cfg["STRIPE_SECRET_KEY"], api_base=cfg.get("STRIPE_API_BASE"),
                                         retries=cfg["STRIPE_MAX_RETRIES"], timeout_s=cfg["STRIPE_TIMEOUT_S"],
                                         backoff_s=cfg["STRIPE_RETRY_BACKOFF_S"],
                                         connect_country=cfg.get("STRIPE_CONNECT_COUNTRY"))
        elif name == "offline":
            from market.payments.providers.offline import OfflineProvider

            cache[name] = OfflineProvider()
        else:
            raise RuntimeError(f"unknown payment provider {name!r}")
    return cache[name]
