"""What templates need from the catalog: the process and certification taxonomy and their
names in the viewer's language. Registered by create_app (the kernel's market/i18n.py
knows no domain)."""
from __future__ import annotations

from flask import Flask

from market.catalog.taxonomy import taxonomy
from market.i18n import locale_code


def process_name(code: str) -> str:
    p = taxonomy().processes.get(code)
    return p.name(locale_code()) if p else code


def cert_name(code: str) -> str:
    c = taxonomy().certifications.get(code)
    return c.name(locale_code()) if c else code


def cert_options() -> list[tuple[str, str]]:
    return [(c.code, c.name(locale_code())) for c in taxonomy().certifications.values()]


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(taxonomy=taxonomy, process_name=process_name, cert_name=cert_name,
                                 cert_options=cert_options)
