"""Absolute links that leave the request (mails, payment return addresses): built from
configuration, never from the request's Host or X-Forwarded-Host, which a stranger chooses."""
from __future__ import annotations

from flask import current_app, url_for


def public_base_url() -> str:
    """PUBLIC_BASE_URL, else BASE_URL (the local address `market up` serves on)."""
    return (current_app.config.get("PUBLIC_BASE_URL") or current_app.config["BASE_URL"]).rstrip("/")


def external_url(endpoint: str, **values) -> str:
    return public_base_url() + url_for(endpoint, **values)
