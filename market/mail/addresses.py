"""The platform's own addresses: the sender and the domain of its Message-IDs."""
from __future__ import annotations

import ipaddress
from email.utils import formataddr
from urllib.parse import urlsplit

from flask import current_app

from market.web.links import public_base_url


def mail_domain() -> str:
    """The host of the public base URL when it is a name, else "localhost" (an address like
    noreply@127.0.0.1 is not one a mail server accepts)."""
    host = urlsplit(public_base_url()).hostname or ""
    try:
        ipaddress.ip_address(host)
        return "localhost"
    except ValueError:
        return host if "." in host else "localhost"


def sender_address() -> str:
    """MAIL_FROM, else "Shared Manufacturing Market <noreply@<mail domain>>"."""
    return current_app.config.get("MAIL_FROM") or formataddr(("Shared Manufacturing Market", f"noreply@{mail_domain()}"))
