"""Portal forms are validated by the same marshmallow schemas as the API: one set of rules."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import current_app
from werkzeug.datastructures import MultiDict

from contextlib import contextmanager

from flask import flash
from flask_babel import gettext as _

from market.errors import DomainError, NotFound
from market.web.validation import translated


class FormError(Exception):
    def __init__(self, errors: dict, detail: str = ""):
        super().__init__(detail)
        self.errors, self.detail = errors, detail


def load(schema: ma.Schema, raw: dict) -> dict:
    """The schema's data, or a FormError whose messages are in the reader's language
    (market/web/validation.py; the API keeps marshmallow's English)."""
    try:
        return schema.load(raw)
    except ma.ValidationError as exc:
        raise FormError(_flatten(exc.messages)) from None


def _flatten(messages, prefix: str = "") -> dict:
    out = {}
    items = messages.items() if isinstance(messages, dict) else [("", messages)]
    for key, value in items:
        name = f"{prefix}.{key}" if prefix and key != "" else (str(key) or prefix)
        if isinstance(value, dict):
            out.update(_flatten(value, name))
        else:
            out[name] = [translated(m) if isinstance(m, str) else m for m in (value if isinstance(value, list) else [value])]
    return out


def as_form_error(exc: DomainError) -> FormError:
    return FormError(exc.errors or {}, exc.detail)


def words(exc: DomainError) -> str:
    """A refusal as the portal shows it: in the reader's language where it was worded with
    `errors.refusal`, else its (English) detail."""
    return str(exc.message) if exc.message is not None else exc.detail


def field_errors(exc: DomainError) -> dict:
    """A refusal as a form's field errors ("_": the form as a whole)."""
    return exc.errors or {"_": [words(exc)]}


def clean(form: MultiDict, *, lists: tuple[str, ...] = (), skip: tuple[str, ...] = ("csrf_token",)) -> dict:
    """request.form -> dict: empty strings dropped (so defaults apply), list fields kept whole;
    the CSRF token and a typed confirmation's flag (market/web/confirm.py) are no input."""
    out: dict = {}
    for key in form:
        if key in skip or key in ("csrf_token", "confirmed"):
            continue
        if key in lists:
            out[key] = [v for v in form.getlist(key) if v != ""]
        elif form[key].strip() != "":
            out[key] = form[key].strip()
    return out


def scaled_int(text, field: str, *, places: int, maximum: int) -> int:
    """A number typed in a form ("12,000.50", "7.5") -> an exact integer of 10^-places units
    (minor units, basis points). Anything else - Infinity, NaN, 1e100000, more decimals than
    `places`, more than `maximum` units - is a field error, never an exception."""
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(str(text).replace(",", "").strip())
    except InvalidOperation:
        raise FormError({field: [_("Not a valid number.")]}) from None
    if not value.is_finite():
        raise FormError({field: [_("Not a valid number.")]})
    if abs(value) > Decimal(maximum).scaleb(-places):
        raise FormError({field: [_("At most %(n)s.", n=f"{Decimal(maximum).scaleb(-places):f}")]})
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise FormError({field: [_("At most %(n)d decimals.", n=places) if places else _("Whole numbers only.")]})
    return int(scaled)


def typed_amount(values: dict, field: str, *, into: str, places: int, maximum: int) -> dict:
    """A copy of the form's values with `field`, typed in major units ("150.00") or percent
    ("2.5"), replaced by `into` as exact integer units (10^-places); the typed text stays in
    `values` for the form to show again. A typing error is named after `field`."""
    out = {k: v for k, v in values.items() if k != field}
    if values.get(field) not in (None, ""):
        out[into] = scaled_int(values[field], field, places=places, maximum=maximum)
    return out


def minor_places(currency: str | None) -> int:
    """Decimals of a currency's minor unit (ISO 4217, from Babel): CNY 2, JPY 0, KWD 3."""
    from babel.numbers import get_currency_precision

    return get_currency_precision((currency or "CNY").upper())


def major(minor: int | None, currency: str | None) -> str:
    """Integer minor units -> the plain number a form shows ("150.00"), exactly."""
    from decimal import Decimal

    return "" if minor is None else f"{Decimal(minor).scaleb(-minor_places(currency)):f}"


def local_dates(raw: dict, keys: tuple[str, ...], *, end_of_day: tuple[str, ...] = ()) -> dict:
    """HTML date inputs ("2026-12-01") -> aware datetimes in the portal's time zone."""
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    out = dict(raw)
    for key in keys:
        value = out.get(key)
        if isinstance(value, str) and len(value) == 10:
            try:
                day = date.fromisoformat(value)
            except ValueError:
                raise FormError({key: [_("Not a valid date (YYYY-MM-DD).")]}) from None
            moment = datetime.combine(day, time(), tz)
            out[key] = (moment + timedelta(days=1, seconds=-1) if key in end_of_day else moment).isoformat()
    return out


@contextmanager
def flashing_errors():
    """Portal actions: a refused action is flashed; an unknown id stays a 404."""
    try:
        yield
    except NotFound:
        raise
    except DomainError as exc:
        flash(words(exc), "error")
    except FormError as exc:  # a small action form: its field errors go in the flash
        flash("; ".join(f"{name}: {' '.join(map(str, msgs))}" for name, msgs in exc.errors.items()) or exc.detail,
              "error")


def refused(exc: Exception) -> tuple[dict, int]:
    """A refused portal form shown again: its field errors ("_": the form as a whole) and the
    status of the page (422 for what was typed wrong, the refusal's own status otherwise).
    The view renders the form's page with what was typed (`forms.clean(request.form)`) and
    these errors, naming the form (`refused="..."`) where a page has several; an unknown id
    stays a 404. Used by every portal form instead of a flash and a redirect, which lose
    what was typed."""
    if isinstance(exc, NotFound):
        raise exc
    if isinstance(exc, FormError):
        return (exc.errors or {"_": [exc.detail]}), 422
    if isinstance(exc, DomainError):
        return field_errors(exc), exc.status
    raise exc


def init_app(app) -> None:
    """Templates show amounts in a form as the plain number typed (`major`)."""
    app.jinja_env.globals.update(major=major)
