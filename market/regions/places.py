"""A factory's place as the catalog stores it: the division a Chinese factory's region resolves
to, nothing for other countries.

A region that names no place in China is refused (a field error in the writer's language).
One that names several equally well ("Suzhou": 苏州 320500, 宿州 341300, 肃州区 620902) with
nothing in the address or name to decide is kept as text without a code, as before regions
were data: it still matches a search for the same words, and the factory can name the
province or the code to be found by 苏州 or 320500 too.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from market import errors
from market.regions.resolve import Unresolved, resolve_place

CHINA = "CN"


def region_code(country: str, region: str, address: str = "", name: str = "") -> str | None:
    """The GB/T 2260 code of the factory's division; None outside China or when ambiguous."""
    if country != CHINA:
        return None
    try:
        return resolve_place(region, address, name).code
    except Unresolved as exc:
        if exc.candidates:
            return None
        raise errors.refusal(errors.Invalid, _l(
            "'%(region)s' is no province, city or district of China we know: give its name (苏州, Suzhou) or its "
            "code (320500)", region=region), field="region") from None
