"""What templates need from production: the `trace_code` filter (a lot's code as people read
it), material quantities and their units. Registered by create_app (the kernel's
market/i18n.py knows no domain)."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from market.production.codes import display as trace_code
from market.production.quantities import display as material_qty

# units shown in the reader's language; SI symbols (kg, m, mm, l …) read the same in both
UNIT_NAMES = {"pcs": _l("pcs")}


def unit_name(unit: str) -> str:
    return str(UNIT_NAMES.get(unit, unit))


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(trace_code=trace_code, material_qty=material_qty, unit_name=unit_name)
