"""The SSRF guard: a webhook URL is chosen by a tenant, and the platform's own network
(loopback, private ranges, link-local cloud metadata at 169.254.169.254, ...) must stay out
of its reach. The host is resolved and every address checked when the endpoint is saved,
and again right before each request; the request then goes to the address that was checked
(market/notifications/http.py), so a DNS answer that changes in between (rebinding) gains
nothing.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from market.errors import Invalid, refusal

MAX_URL = 2048


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]  # the checked addresses; connect to these only


@dataclass(frozen=True)
class Policy:
    require_https: bool
    allow_private: bool
    allowed_hosts: frozenset[str]

    @classmethod
    def from_config(cls, config) -> "Policy":
        return cls(require_https=bool(config["WEBHOOK_REQUIRE_HTTPS"]),
                   allow_private=bool(config["WEBHOOK_ALLOW_PRIVATE_NETWORKS"]),
                   allowed_hosts=frozenset(h.lower() for h in config["WEBHOOK_ALLOWED_HOSTS"]))


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:  # ::ffff:127.0.0.1 is 127.0.0.1
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local
                                 or ip.is_private or ip.is_unspecified)


def parse(url: str, policy: Policy, *, field: str = "url") -> tuple[str, str, int, str]:
    """Scheme, host, port and request path of `url`, or Invalid naming `field`."""
    if len(url) > MAX_URL:
        raise refusal(Invalid, _l("URL longer than %(n)d characters", n=MAX_URL), field=field)
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise refusal(Invalid, _l("Not a valid URL."), field=field, detail=f"not a valid URL: {exc}") from None
    if parts.scheme not in ("https", "http"):
        raise refusal(Invalid, _l("URL must start with https://"), field=field)
    if parts.scheme == "http" and policy.require_https:
        raise refusal(Invalid, _l("URL must use https:// (plain http is refused in production)"), field=field)
    if not parts.hostname:
        raise refusal(Invalid, _l("URL has no host"), field=field)
    if parts.username or parts.password:
        raise refusal(Invalid, _l("URL must not carry a user name or password"), field=field)
    host = parts.hostname.lower().rstrip(".")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path


def resolve(url: str, policy: Policy, *, field: str = "url") -> Target:
    """Check `url` and resolve its host: every address it resolves to must be public unless
    the host is allowed; raises Invalid (with `field`) otherwise."""
    scheme, host, port, path = parse(url, policy, field=field)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise refusal(Invalid, _l("host %(host)s does not resolve", host=host), field=field) from None
    addresses = tuple(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise refusal(Invalid, _l("host %(host)s does not resolve", host=host), field=field)
    trusted = policy.allow_private or host in policy.allowed_hosts
    if not trusted:
        for address in addresses:
            if address.split("%")[0] in policy.allowed_hosts:
                continue
            if not is_public(address.split("%")[0]):
                raise refusal(Invalid, _l("host %(host)s resolves to %(address)s, a private, loopback, link-local or "
                                         "reserved address: refused", host=host, address=address), field=field)
    return Target(scheme, host, port, path, addresses)
