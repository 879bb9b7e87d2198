"""The rules a policy's terms obey, checked before anything is written."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from market import errors

PREMIUM_DUE_DAYS = 15  # a period's premium is due this many days after the period starts


def check(*, coverage: str, rate_minor_per_hour: int, deductible_hours: int) -> None:
    """Raise errors.Invalid naming the field of the first term that does not hold."""
    if coverage == "breakdown" and rate_minor_per_hour <= 0:
        raise errors.refusal(errors.Invalid, _l("A breakdown policy needs an indemnity per down hour above zero."),
                             field="rate_minor_per_hour")
    if coverage == "warranty" and (rate_minor_per_hour or deductible_hours):
        raise errors.refusal(errors.Invalid, _l("An extended warranty pays repair costs: it has no hourly indemnity and no deductible hours."),
                             field="rate_minor_per_hour")


def overlaps(a_start, a_end, b_start, b_end) -> bool:
    """Whether [a_start, a_end) and [b_start, b_end) share a day."""
    return a_start < b_end and b_start < a_end
