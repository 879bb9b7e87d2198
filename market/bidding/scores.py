"""Supplier scores for comparing offers are credit's knowledge (market/credit/supplier.py),
and credit sits above bidding: the app hands bidding credit's reader at start-up (create_app),
as the order page gets its panels (market/orders/page.py)."""
from __future__ import annotations

import uuid
from typing import Callable

from flask import Flask, current_app

KEY = "bidding.supplier_score"


def init_app(app: Flask, reader: Callable[[uuid.UUID], object | None]) -> None:
    """`reader(factory public id)`: the factory's public scorecard (jobs_completed,
    on_time_rate, qc_pass_rate, …) or None."""
    app.extensions[KEY] = reader


def supplier_score(factory_public_id: uuid.UUID):
    reader = current_app.extensions.get(KEY)
    return reader(factory_public_id) if reader else None
