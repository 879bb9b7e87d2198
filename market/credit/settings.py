"""Credit configuration from the environment (safe defaults for one machine)."""
from __future__ import annotations

import os

from flask import Flask

DEFAULTS = {
    "CREDIT_BASE_RATE_BP": ("310", int),  # the rate band starts here (e.g. the 1-year LPR), basis points
    "CREDIT_SCORECARD_VERSION": ("", str),  # empty: the one named in market/credit/scorecards/CURRENT
}


def init_app(app: Flask) -> None:
    for key, (default, cast) in DEFAULTS.items():
        app.config.setdefault(key, cast(os.environ.get(key, default)))
