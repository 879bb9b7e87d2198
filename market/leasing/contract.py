"""The lease contract as PDF, in English and Chinese, rendered once when the lessee signs and
kept as signed: the signature's ledger commitment carries the SHA-256 of each, so either party
can later show that a PDF is the contract signed."""
from __future__ import annotations

import hashlib

from flask_babel import force_locale

from market.pdf import render_pdf

LANGS = ("en", "zh_CN")


def render(lease, lang: str) -> bytes:
    from market.payments.documents import format_minor

    with force_locale(lang):
        return render_pdf("leasing/contract_pdf.html", lease=lease, lang=lang, fmt=format_minor)


def attach(lease) -> None:
    lease.contract_pdf_en, lease.contract_pdf_zh = render(lease, "en"), render(lease, "zh_CN")
    lease.contract_sha256 = {"en": hashlib.sha256(lease.contract_pdf_en).hexdigest(),
                             "zh_CN": hashlib.sha256(lease.contract_pdf_zh).hexdigest()}


def pdf(lease, lang: str) -> bytes | None:
    return lease.contract_pdf_zh if lang == "zh_CN" else lease.contract_pdf_en
