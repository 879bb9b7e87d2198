"""The catalogue of event kinds an organization may subscribe an endpoint to.

A kind is the `type` of a webhook payload ("order.booked"): the notification catalogue's kinds
(market/notifications/catalogue.py), so adding a kind there offers it to endpoints too. The
labels are what the portal shows.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from market.notifications import catalogue

# What the platform tells people (the catalogue), it tells their systems and chat groups too:
# one list of kinds for in-app, e-mail, webhooks and robots.
KINDS: dict[str, object] = {kind.name: kind.title for kind in catalogue.KINDS}
# sent by the "Send test event" button only, to every endpoint whatever it subscribed to
KINDS["webhook.test"] = _l("Test event")

SUBSCRIBABLE = tuple(k for k in KINDS if k != "webhook.test")


def label(kind: str) -> str:
    return str(KINDS.get(kind, kind))
