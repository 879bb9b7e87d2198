"""Printable lot labels: the trace code and a QR code of the public trace page."""
from __future__ import annotations

import io

import segno
from flask import current_app, url_for


def trace_url(code: str) -> str:
    """The public page a label points at: PUBLIC_BASE_URL when set (labels printed on an
    internal host must still work for whoever scans them), else this request's host."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    path = url_for("trace.public", code=code)
    return base.rstrip("/") + path if base else url_for("trace.public", code=code, _external=True)


def qr_svg(code: str, scale: int = 4, *, inline: bool = False) -> str:
    """SVG of a QR code (error correction M: survives a scuffed label) of the trace URL.

    `inline` (for a page that sizes it with CSS): a viewBox instead of width/height (segno's
    omitsize), so the whole code, quiet zone included, scales to the label's 40 mm; with a fixed
    width/height and no viewBox the browser would crop it to one finder pattern."""
    out = io.BytesIO()
    segno.make(trace_url(code), error="m").save(out, kind="svg", scale=scale, xmldecl=False, svgns=True,
                                                 title=code, dark="#111", omitsize=inline)
    return out.getvalue().decode()
