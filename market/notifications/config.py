"""Webhook and chat-robot settings: read from app.config (environment variables give the
defaults here; a typed settings object may set them instead)."""
from __future__ import annotations

import os

from flask import Flask


def _list(value: str) -> list[str]:
    return [part.strip().lower() for part in value.split(",") if part.strip()]


def init_app(app: Flask) -> None:
    env = os.environ.get
    defaults = {
        # refuse http:// targets (production); switch off only for local development and tests
        "WEBHOOK_REQUIRE_HTTPS": env("WEBHOOK_REQUIRE_HTTPS", "1") == "1",
        # allow loopback/private/link-local targets everywhere (on-premises installs)
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": env("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "0") == "1",
        # host names or IP addresses allowed even when they resolve to private addresses
        "WEBHOOK_ALLOWED_HOSTS": _list(env("WEBHOOK_ALLOWED_HOSTS", "")),
        "WEBHOOK_CONNECT_TIMEOUT_S": float(env("WEBHOOK_CONNECT_TIMEOUT_S", 3)),
        "WEBHOOK_TIMEOUT_S": float(env("WEBHOOK_TIMEOUT_S", 10)),  # whole request, answer included
        # seconds to wait after the 1st, 2nd, ... failed attempt; spent = the delivery failed (~24 h)
        "WEBHOOK_RETRY_SCHEDULE_S": [float(s) for s in env(
            "WEBHOOK_RETRY_SCHEDULE_S", "5,60,300,1800,7200,18000,28800,28800").split(",")],
        # an endpoint whose deliveries fail for this long with no success is disabled
        "WEBHOOK_DISABLE_AFTER_S": float(env("WEBHOOK_DISABLE_AFTER_S", 86400)),
        "WEBHOOK_SENDER_THREADS": int(env("WEBHOOK_SENDER_THREADS", 4)),
        "WEBHOOK_BATCH": int(env("WEBHOOK_BATCH", 200)),
        # a delivery claimed by a sender that vanished (kill -9) is due again after this long
        "WEBHOOK_LEASE_S": float(env("WEBHOOK_LEASE_S", 120)),
        # "background": send right after the commit off the request path; "sweep": only the
        # periodic sweep sends (tests drive it with their own clock)
        "WEBHOOK_DISPATCH": env("WEBHOOK_DISPATCH", "background"),
        "WEBHOOK_MAX_ENDPOINTS": int(env("WEBHOOK_MAX_ENDPOINTS", 20)),
        "WEBHOOK_KEEP_DAYS": float(env("WEBHOOK_KEEP_DAYS", 30)),
        "WEBHOOK_SWEEP_EVERY_S": float(env("WEBHOOK_SWEEP_EVERY_S", 15)),  # the send_webhooks periodic task
    }
    for key, value in defaults.items():
        app.config.setdefault(key, value)
