"""Printable lot labels: the trace code and a QR code of the public trace page."""
from __future__ import annotations

import io

import segno
from flask import url_for


def trace_url(code: str) -> str:
    return url_for("trace.public", code=code, _external=True)


def qr_svg(code: str, scale: int = 4) -> str:
    """SVG of a QR code (error correction M: survives a scuffed label) of the trace URL."""
    out = io.BytesIO()
    segno.make(trace_url(code), error="m").save(out, kind="svg", scale=scale, xmldecl=False, svgns=True,
                                                 title=code, dark="#111")
    return out.getvalue().decode()
