"""Signatures: Standard Webhooks for integrators, and the chat robots' own schemes.

Standard Webhooks (https://www.standardwebhooks.com): the secret is `whsec_` + base64 of
24-64 random bytes; the signature is `v1,` + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}"))
in the `webhook-signature` header, with `webhook-id` and `webhook-timestamp` (Unix seconds).
We sign with the official `standardwebhooks` package, so what we send is what its verifier
(and every other Standard Webhooks library) accepts.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import quote_plus

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64  # the spec's bounds for a symmetric key


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def standard_headers(secret: str, message_id: str, at: datetime, body: str | bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for `body` (the exact bytes sent, or their UTF-8
    text) sent at `at`."""
    at = at.astimezone(timezone.utc).replace(microsecond=0)
    signature = _signer(secret).sign(message_id, at, body)
    return {"webhook-id": message_id, "webhook-timestamp": str(int(at.timestamp())), "webhook-signature": signature}


@lru_cache(maxsize=1024)
def _signer(secret: str) -> Webhook:
    """The library's signer of one endpoint's secret, made once (it decodes the key): a
    fan-out signs thousands of bodies with a few secrets. A rotated secret is a new key."""
    return Webhook(secret)


def dingtalk_query(secret: str, at: datetime) -> str:
    """DingTalk custom robot ("加签"): timestamp in milliseconds; sign = urlencode(base64(
    HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))), both as query parameters."""
    timestamp = str(int(at.timestamp() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return f"timestamp={timestamp}&sign={quote_plus(base64.b64encode(digest).decode())}"


def feishu_sign(secret: str, at: datetime) -> dict[str, str]:
    """Feishu custom bot ("签名校验"): timestamp in seconds; sign = base64(HMAC-SHA256(
    key=f"{timestamp}\\n{secret}", msg=b"")), both in the JSON body."""
    timestamp = str(int(at.timestamp()))
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return {"timestamp": timestamp, "sign": base64.b64encode(digest).decode()}
