"""marshmallow's own validation messages in the reader's language, for the portal.

The portal and the API load input with the same schemas (market/web/forms.py). The API keeps
marshmallow's English messages in its problem details; the portal passes each message through
`translated` before it shows it: a message of marshmallow's with numbers in it ("Length must
be between 1 and 200.") is matched to its catalogue form with the numbers as parameters, any
other through the catalogue as it is ("Missing data for required field."), so a message the
catalogue does not know stays as it was written. Messages already worded for every reader
(lazy strings from `errors.refusal` or `_l`) render in the reader's language by themselves.
"""
from __future__ import annotations

import re

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

# marshmallow's fixed messages (fields, Schema, validators), marked here so the catalogue must
# carry them (tests/market/test_i18n.py); `translated` looks them up by their English text
FIXED = (
    _l("Missing data for required field."), _l("Field may not be null."), _l("Invalid value."), _l("Invalid type."),
    _l("Invalid input type."), _l("Unknown field."), _l("Not a valid integer."), _l("Not a valid number."),
    _l("Number too large."), _l("Special numeric values (nan or infinity) are not permitted."),
    _l("Not a valid string."), _l("Not a valid boolean."), _l("Not a valid date."), _l("Not a valid datetime."),
    _l("Not a valid aware datetime."), _l("Not a valid naive datetime."), _l("Not a valid time."),
    _l("Not a valid period of time."), _l("Not a valid UUID."), _l("Not a valid email address."),
    _l("Not a valid URL."), _l("Not a valid list."), _l("Not a valid mapping type."), _l("Not a valid tuple."),
    _l("Not a valid utf-8 string."), _l("String does not match expected pattern."),
    # our schemas' own English messages (market/*/schemas.py, market/api_common.py)
    _l("at most 3 decimals"), _l("a positive decimal with at most 3 decimals"), _l("ISO 4217 code, e.g. CNY"),
    _l("must not contain NUL characters"), _l("name a material lot (with quantity) or a lot (with pieces)"),
    _l("how much of the material lot went in"), _l("how many pieces of the lot went in"),
)

# marshmallow.validate.Range's comparison words, as they appear inside its messages
_OPS = {"greater than or equal to": _l("greater than or equal to"), "greater than": _l("greater than"),
        "less than or equal to": _l("less than or equal to"), "less than": _l("less than")}
_OP = "|".join(sorted(map(re.escape, _OPS), key=len, reverse=True))

_PATTERNS = (
    (re.compile(r"Length must be between (?P<min>\S+) and (?P<max>\S+)\."), _l("Length must be between %(min)s and %(max)s.")),
    (re.compile(r"Length must be (?P<equal>\S+)\."), _l("Length must be %(equal)s.")),
    (re.compile(r"Longer than maximum length (?P<max>\S+)\."), _l("Longer than maximum length %(max)s.")),
    (re.compile(r"Shorter than minimum length (?P<min>\S+)\."), _l("Shorter than minimum length %(min)s.")),
    (re.compile(rf"Must be (?P<min_op>{_OP}) (?P<min>\S+) and (?P<max_op>{_OP}) (?P<max>\S+)\."),
     _l("Must be %(min_op)s %(min)s and %(max_op)s %(max)s.")),
    (re.compile(rf"Must be (?P<op>{_OP}) (?P<limit>\S+)\."), _l("Must be %(op)s %(limit)s.")),
    (re.compile(r"Must be one of: (?P<choices>.+)\."), _l("Must be one of: %(choices)s.")),
    (re.compile(r"unknown IANA time zone '(?P<zone>[^']*)'"), _l("unknown IANA time zone '%(zone)s'")),
)


def translated(message) -> str:
    """One validation message in the reader's language (see the module's docstring)."""
    if not isinstance(message, str):
        return str(message)  # a lazy string: already the reader's
    for pattern, template in _PATTERNS:
        match = pattern.fullmatch(message)
        if match:
            values = {k: str(_OPS[v]) if k.endswith("op") else v for k, v in match.groupdict().items()}
            return str(template) % values
    return gettext(message)
