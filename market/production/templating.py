"""What templates need from production: the `trace_code` filter (a lot's code as people read
it). Registered by create_app (the kernel's market/i18n.py knows no domain)."""
from __future__ import annotations

from flask import Flask

from market.production.codes import display as trace_code
from market.production.quantities import display as material_qty


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(trace_code=trace_code, material_qty=material_qty)
