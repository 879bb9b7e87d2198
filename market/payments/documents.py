"""PDF invoice (buyer) and payout statement (per factory), in en or zh_CN, through the one
HTML->PDF renderer (`market.pdf`)."""
from __future__ import annotations

import uuid

from flask import Response
from flask_babel import force_locale

from market.auth import Actor
from market.i18n import money as format_minor
from market.pdf import render_pdf
from market.payments.queries import document_context


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
