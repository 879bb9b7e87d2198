"""The declared order of `market`'s parts, lowest first. A module may import its own part and
the parts of lower layers, never a higher one (tests/test_layering.py reads this and the
import graph). Parts in one layer may import each other; the same test refuses any circle.

A part is a top-level module (`market/db.py` is "db") or a domain package (`market/orders/`
is "orders"). Higher domains learn of lower ones' changes through domain events
(market/bus.py), never by being called from below.
"""
from __future__ import annotations

LAYERS: tuple[tuple[str, ...], ...] = (
    # kernel: infrastructure every domain may use; it knows no domain
    ("config", "settings", "db", "errors", "logs", "metrics", "pagination", "problems", "pdf", "bus",
     "i18n", "auth", "policy", "api_common", "jobs", "journal", "web", "mail"),
    # regions: China's administrative divisions (reference data) and reading places from text
    ("accounts", "regions"),
    ("audit",),
    ("catalog",),
    ("telemetry",),
    ("orders",),
    ("matching",),
    ("bidding",),  # factory bids and counter-offers; an accepted bid books through matching
    ("production",),
    ("payments",),
    ("subcontracting",),  # sub-orders one tier down: follows orders, matching and payments by their events
    ("credit",),
    ("leasing",),  # equipment leases: rent priced on the machine's ledger-committed telemetry; reads credit consents
    ("insurance",),  # usage-based insurance: premiums rated on the machine's telemetry; reads credit consents, leasing's periods
    ("trace",),
    ("notifications",),  # listens to every domain above; tells the parties (in-app, mail, webhooks, chat robots)
    ("ops",),
    ("portal",),
    ("demo",),
    # the application: wires every part together (app factory, CLI, worker entry points)
    ("models", "market", "cli", "worker", "gunicorn_conf", "migrate", "layers"),
)
