"""Credit configuration from the environment (safe defaults for one machine)."""
from __future__ import annotations

import os

from flask import Flask

DEFAULTS = {
    "CREDIT_BASE_RATE_BP": ("310", int),  # the rate band starts here (e.g. the 1-year LPR), basis points
    "CREDIT_SCORECARD_VERSION": ("", str),  # empty: the one named in market/credit/scorecards/CURRENT
    # the minimum of evidence for a grade (market/credit/sufficiency.py, docs/credit.md)
    "CREDIT_MIN_HISTORY_DAYS": ("30", int),
    "CREDIT_MIN_OEE_DAYS": ("20", int),
    "CREDIT_MIN_DELIVERIES": ("3", int),
    "CREDIT_GRADE_CAP": ("BBB", str),  # the best grade with only one kind of evidence
}


def init_app(app: Flask) -> None:
    for key, (default, cast) in DEFAULTS.items():
        app.config.setdefault(key, cast(os.environ.get(key, default)))
