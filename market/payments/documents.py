"""PDF invoice (buyer) and payout statement (per factory), in en or zh_CN, through the one
HTML->PDF renderer (`market.pdf`)."""
from __future__ import annotations

import uuid

from flask import Response
from flask_babel import force_locale

from market.auth import Actor
from market.pdf import render_pdf
from market.payments.queries import document_context

# ISO 4217 minor-unit exponents that are not 2
EXPONENTS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3}
SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "JPY": "¥", "GBP": "£", "HKD": "HK$"}


def format_minor(minor: int, currency: str) -> str:
    """Exact: integer minor units to '¥1,234.56' (no floats), negative with a minus sign."""
    digits = EXPONENTS.get(currency, 2)
    sign, minor = ("-" if minor < 0 else ""), abs(minor)
    whole, frac = divmod(minor, 10**digits) if digits else (minor, 0)
    text = f"{whole:,}" + (f".{frac:0{digits}d}" if digits else "")
    return f"{sign}{SYMBOLS.get(currency, currency + ' ')}{text}"


def invoice(actor: Actor, order_id: uuid.UUID, lang: str) -> bytes:
    ctx = document_context(actor, order_id)
    with force_locale(lang):
        return render_pdf("payments/invoice.html", fmt=format_minor, lang=lang, **ctx)


def statement(actor: Actor, order_id: uuid.UUID, factory_id: uuid.UUID, lang: str) -> bytes:
    ctx = document_context(actor, order_id, factory_id)
    with force_locale(lang):
        return render_pdf("payments/statement.html", fmt=format_minor, lang=lang, **ctx)


def send(pdf: bytes, filename: str) -> Response:
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})
