"""Outgoing e-mail (kernel: it knows no domain). A domain composes a message from its
templates in the recipient's language and queues it in its own unit of work
(`compose.queue`); after the commit a background job sends it (`delivery`), through the
SMTP server of SMTP_URL or, when none is configured, into the local dev inbox
(`.eml` files under VAR_DIR/mail, read on the operator's page `views.py`). A periodic sweep
sends whatever is due: a crash between the commit and the send, or a retry after a
temporary refusal.

Settings (app.config, environment variables of the same name):
SMTP_URL, SMTP_TIMEOUT_S, MAIL_FROM, MAIL_DIR, MAIL_SEND_AFTER_COMMIT, MAIL_MAX_ATTEMPTS,
MAIL_RETRY_BASE_S, MAIL_SEND_LEASE_S, MAIL_SWEEP_EVERY_S (the send_mail periodic task).
"""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


def init_app(app: Flask) -> None:
    env = os.environ.get
    app.config.setdefault("SMTP_URL", env("SMTP_URL") or None)
    app.config.setdefault("SMTP_TIMEOUT_S", float(env("SMTP_TIMEOUT_S", 20)))
    app.config.setdefault("MAIL_FROM", env("MAIL_FROM") or None)  # None: noreply@<host of PUBLIC_BASE_URL>
    app.config.setdefault("MAIL_DIR", env("MAIL_DIR") or str(Path(app.config["VAR_DIR"]) / "mail"))
    app.config.setdefault("MAIL_SEND_AFTER_COMMIT", _flag("MAIL_SEND_AFTER_COMMIT", True))
    app.config.setdefault("MAIL_MAX_ATTEMPTS", int(env("MAIL_MAX_ATTEMPTS", 8)))
    app.config.setdefault("MAIL_RETRY_BASE_S", float(env("MAIL_RETRY_BASE_S", 60)))
    app.config.setdefault("MAIL_SEND_LEASE_S", float(env("MAIL_SEND_LEASE_S", 600)))
    app.config.setdefault("MAIL_SWEEP_EVERY_S", float(env("MAIL_SWEEP_EVERY_S", 60)))  # the send_mail periodic task
