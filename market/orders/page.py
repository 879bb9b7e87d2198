"""The order page (orders.show) also shows what higher domains know of the order: its accepted
quote, booked capacity and stranded work (matching), its lots (production). Orders may not
import them, so each gives the page a panel reader at app start-up (create_app); the page
merges what they return into its template's context."""
from __future__ import annotations

from typing import Callable

from flask import Flask, current_app

from market.auth import Actor
from market.orders.models import Order

KEY = "orders.page_panels"
Panel = Callable[[Actor, Order], dict]


def init_app(app: Flask, panels: tuple[Panel, ...]) -> None:
    app.extensions[KEY] = tuple(panels)


def panels(actor: Actor, order: Order) -> dict:
    """The template names each panel reader contributes, for `actor` looking at `order`."""
    out: dict = {}
    for panel in current_app.extensions[KEY]:
        out.update(panel(actor, order))
    return out
