"""The rules a lease's terms obey, checked before anything is written; and its periods."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from market import errors

GRACE_DAYS = 15  # rent of a period is due this many days after the period ends


def check(*, kind: str, schedule: str, term_months: int, price_minor: int, down_payment_minor: int, fixed_minor: int,
          rate_minor_per_hour: int, floor_minor: int) -> None:
    """Raise errors.Invalid naming the field of the first term that does not hold."""
    fields = {}
    if down_payment_minor > price_minor:
        fields["down_payment_minor"] = [_l("The down payment cannot exceed the equipment price.")]
    if schedule == "fixed":
        if fixed_minor <= 0:
            fields["fixed_minor"] = [_l("A fixed schedule needs a monthly rent above zero.")]
        if rate_minor_per_hour or floor_minor:
            fields["rate_minor_per_hour"] = [_l("A fixed schedule has no hourly rate and no floor.")]
    elif schedule == "usage":
        if rate_minor_per_hour <= 0:
            fields["rate_minor_per_hour"] = [_l("A usage-based schedule needs an hourly rate above zero.")]
        if fixed_minor:
            fields["fixed_minor"] = [_l("A usage-based schedule has no fixed part; choose hybrid.")]
    elif schedule == "hybrid":
        if fixed_minor <= 0:
            fields["fixed_minor"] = [_l("A hybrid schedule needs a fixed part above zero.")]
        if rate_minor_per_hour <= 0:
            fields["rate_minor_per_hour"] = [_l("A hybrid schedule needs an hourly rate above zero.")]
    if fields:
        first = next(iter(fields))
        exc = errors.refusal(errors.Invalid, fields[first][0], field=first)
        exc.errors = fields  # every term that does not hold, each in the reader's language
        raise exc


def add_months(d: date, months: int) -> date:
    """The same day `months` later, clamped to the month's length (Jan 31 + 1 = Feb 28/29)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, min(d.day, day))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def period(start: date, n: int) -> tuple[date, date]:
    """Period n (0-based) of a lease starting on `start`: [start + n months, start + n+1 months)."""
    return add_months(start, n), add_months(start, n + 1)
