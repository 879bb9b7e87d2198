"""A quote's platform terms (what the platform keeps and what each factory receives) are
payments' knowledge, and payments sits above matching: the app gives matching payments'
reader at start-up (create_app), and the quote API answers with what it returns."""
from __future__ import annotations

from typing import Callable

from flask import Flask, current_app

KEY = "matching.quote_terms"


def init_app(app: Flask, reader: Callable[[object], dict]) -> None:
    app.extensions[KEY] = reader


def platform_terms(quote) -> dict:
    return current_app.extensions[KEY](quote)
