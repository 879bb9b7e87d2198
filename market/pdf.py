"""HTML -> PDF for documents people keep (invoices, payout statements, credit reports).

One renderer for all of them: a Jinja template printed by WeasyPrint, so a PDF uses the
same templates, filters and translations as the portal, and CJK text is laid out by
Pango with the system's Noto CJK fonts. Charts are inline SVG, which WeasyPrint draws.
"""
from __future__ import annotations

from flask import current_app, render_template


def render_pdf(template: str, **context) -> bytes:
    from weasyprint import HTML  # heavy import (Pango): only when a PDF is asked for

    html = render_template(template, **context)
    return HTML(string=html, base_url=current_app.root_path).write_pdf()


def page_images(pdf: bytes, scale: float = 1.5) -> list:
    """Pages as PIL images (for tests and previews): pdfium, no external tools."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    return [doc[i].render(scale=scale).to_pil() for i in range(len(doc))]
