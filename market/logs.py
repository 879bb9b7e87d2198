"""Structured (JSON) logs with a request id on every line, and no secrets in them."""
from __future__ import annotations

import logging
import re
import time
import uuid
from urllib.parse import urlsplit

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

from market import settings

TOKEN = re.compile(r"smm_[A-Za-z0-9_-]{8,}")
BEARER = re.compile(r"(Bearer\s+)\S+", re.IGNORECASE)
# PostgreSQL puts row values and keys in DETAIL lines ("Failing row contains (...)")
PG_DETAIL = re.compile(r"(DETAIL:\s+).*")
SECRET_SETTINGS = settings.secret_names()  # every SecretStr of market/settings.py
URL_SETTINGS = settings.url_names()  # URLs that may carry a password


def secrets_in(config) -> list[str]:
    """Configured values that must never be written out: keys, tokens, URL passwords, and
    the path of the chain RPC URL (hosted RPC providers put the API key there)."""
    found = [str(config.get(k) or "") for k in SECRET_SETTINGS]
    for key in URL_SETTINGS:
        parts = urlsplit(str(config.get(key) or ""))
        found.append(parts.password or "")
        if key == "ANCHOR_RPC_URL" and parts.path not in ("", "/"):
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return sorted({f for f in found if len(f) >= 6}, key=len, reverse=True)


def redact(text: str, config) -> str:
    for secret in secrets_in(config):
        text = text.replace(secret, "[redacted]")
    text = TOKEN.sub("smm_[redacted]", text)
    text = BEARER.sub(r"\1[redacted]", text)
    return PG_DETAIL.sub(r"\1[redacted]", text)


class _Redact(logging.Filter):
    """Last line of defence: whatever a log call or an exception carries, configured
    secrets, API tokens and database row details are replaced before the line is written."""

    STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}

    def __init__(self, app: Flask):
        super().__init__()
        self.app = app

    def filter(self, record: logging.LogRecord) -> bool:
        config = self.app.config
        record.msg, record.args = redact(record.getMessage(), config), None
        for key, value in list(vars(record).items()):
            if key not in self.STANDARD and isinstance(value, str):
                setattr(record, key, redact(value, config))
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), config)
            record.exc_info = None
        return True


class _RequestContext(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def init_app(app: Flask) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(_RequestContext())
    handler.addFilter(_Redact(app))
    if app.config["LOG_FORMAT"] == "json":
        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    logger = logging.getLogger("market")
    logger.handlers[:] = [handler]
    logger.setLevel(app.config["LOG_LEVEL"])
    logger.propagate = False
    access = logging.getLogger("market.access")

    @app.before_request
    def _start():
        g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers["X-Request-Id"] = g.get("request_id", "-")
        elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        # Query strings may carry tokens (password reset): log the path only.
        access.info("request", extra={"method": request.method, "path": request.path,
                                      "status": response.status_code, "ms": round(elapsed_ms, 2)})
        return response
