"""Shift calendars: a factory's weekly shifts in its own time zone, with its exceptions
(public holidays, 调休 make-up workdays, the factory's own closures), turned into the UTC
spans of one local day (DST-aware: a local day may last 23 or 25 hours). Pure.

A shift belongs to the local day it starts on: a night shift starting 22:00 on the eve of
a holiday is worked in full, one starting 22:00 on the holiday is not."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from market import errors
from market.telemetry import holidays

# Two 6-hour shifts on weekdays, 08:00-20:00: nights and weekends are what factories sell.
DEFAULT_WEEKLY: dict[str, list[list[str]]] = {str(d): [["08:00", "20:00"]] for d in range(5)}
_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")

Span = tuple[datetime, datetime]


def _clock(text: str, field: str) -> time | None:
    """'HH:MM' -> time; '24:00' -> None (the next midnight)."""
    m = _HHMM.match(text) if isinstance(text, str) else None
    if not m or (m.group(1) == "24" and m.group(2) != "00"):
        raise errors.refusal(errors.Invalid, _l("'%(text)s' is not a time of day HH:MM (00:00 to 24:00).", text=str(text)),
                             field=field, detail=f"{text!r} is not a time of day HH:MM (00:00 to 24:00)")
    return None if m.group(1) == "24" else time(int(m.group(1)), int(m.group(2)))


def check_weekly(weekly) -> dict[str, list[list[str]]]:
    """Validate {"0".."6": [["HH:MM", "HH:MM"], ...]} and return it normalised."""
    if not isinstance(weekly, dict):
        raise errors.Invalid("the calendar maps weekdays '0' (Monday) .. '6' to lists of shifts", field="weekly")
    out: dict[str, list[list[str]]] = {}
    for key, shifts in weekly.items():
        field = f"weekly.{key}"
        if str(key) not in {str(d) for d in range(7)}:
            raise errors.Invalid(f"weekday {key!r} must be 0 (Monday) .. 6 (Sunday)", field=field)
        if not isinstance(shifts, list) or len(shifts) > 6:
            raise errors.refusal(errors.Invalid, _l("At most 6 shifts a day."), field=field,
                                 detail="a list of at most 6 [start, end] shifts is required")
        for shift in shifts:
            if not isinstance(shift, (list, tuple)) or len(shift) != 2:
                raise errors.refusal(errors.Invalid, _l("Each shift is HH:MM-HH:MM."), field=field,
                                     detail="each shift is [\"HH:MM\", \"HH:MM\"]")
            start, end = _clock(shift[0], field), _clock(shift[1], field)
            if start is None:
                raise errors.refusal(errors.Invalid, _l("A shift cannot start at 24:00."), field=field,
                                     detail="a shift cannot start at 24:00")
            if end is not None and end == start:
                raise errors.refusal(errors.Invalid, _l("A shift must not end when it starts."), field=field,
                                     detail="a shift must not end when it starts")
        if shifts:
            out[str(key)] = [[s, e] for s, e in shifts]
    return out


def day_bounds(day: date, tz_name: str) -> Span:
    """[local midnight, next local midnight) of `day` in UTC."""
    tz = ZoneInfo(tz_name)
    start = datetime.combine(day, time(), tz).astimezone(timezone.utc)
    end = datetime.combine(day + timedelta(days=1), time(), tz).astimezone(timezone.utc)
    return start, end


def local_day(moment: datetime, tz_name: str) -> date:
    return moment.astimezone(ZoneInfo(tz_name)).date()


def reporting_days(moment: datetime, tz_name: str) -> tuple[date, ...]:
    """The local days a reading at `moment` changes: its own (states start there) and, when
    it is exactly a local midnight, the day before too (a counter reading reports the parts
    made up to it, so those are the previous day's: intervals.machine_day)."""
    day = local_day(moment, tz_name)
    return (day - timedelta(days=1), day) if day_bounds(day, tz_name)[0] == moment else (day,)


# what a local day is, for planning: its kind decides which shifts start on it
ORDINARY, HOLIDAY, MAKEUP, CLOSED = "ordinary", "holiday", "makeup", "closed"


@dataclass(frozen=True)
class Calendar:
    """A factory's weekly shifts and their exceptions. `closures` are inclusive local
    [first, last] day ranges; `public_holidays` says whether China's holidays and make-up
    workdays apply (see market.telemetry.holidays)."""

    weekly: dict
    tz: str
    closures: tuple[tuple[date, date], ...] = ()
    public_holidays: bool = False

    def kind(self, day: date) -> str:
        """A closure beats everything (a factory may close on a make-up Saturday too)."""
        if any(first <= day <= last for first, last in self.closures):
            return CLOSED
        if self.public_holidays:
            if holidays.public_holiday(day):
                return HOLIDAY
            if holidays.makeup_workday(day):
                return MAKEUP
        return ORDINARY

    def shifts_starting(self, day: date) -> list:
        """The [start, end] shifts that start on local `day`. A make-up workday works the
        factory's weekday shifts: Monday's, or the first weekday that has any (the notice
        moves a working day onto the weekend; which one matters little, they are usually equal)."""
        kind = self.kind(day)
        if kind in (CLOSED, HOLIDAY):
            return []
        if kind == MAKEUP:
            return next((self.weekly[str(d)] for d in range(5) if self.weekly.get(str(d))), [])
        return self.weekly.get(str(day.weekday()), [])

    def spans(self, day: date) -> list[Span]:
        return _spans(self.shifts_starting, self.tz, day)


def shift_spans(weekly: dict, tz_name: str, day: date) -> list[Span]:
    """The weekly shifts that fall on local `day`, with no exceptions (see Calendar)."""
    return _spans(lambda d: weekly.get(str(d.weekday()), []), tz_name, day)


def _spans(shifts_starting, tz_name: str, day: date) -> list[Span]:
    """The shifts that fall on local `day`, clipped to it, in UTC: the day's own shifts and
    the overnight shifts of the day before that run into it."""
    tz = ZoneInfo(tz_name)
    lo, hi = day_bounds(day, tz_name)
    spans = []
    for start_day in (day - timedelta(days=1), day):
        for start_text, end_text in shifts_starting(start_day):
            start, end = _clock(start_text, "weekly"), _clock(end_text, "weekly")
            a = datetime.combine(start_day, start, tz)
            if end is None or end <= start:  # ends at or past the next midnight
                b = datetime.combine(start_day + timedelta(days=1), end or time(), tz)
            else:
                b = datetime.combine(start_day, end, tz)
            a, b = max(a.astimezone(timezone.utc), lo), min(b.astimezone(timezone.utc), hi)
            if b > a:
                spans.append((a, b))
    return spans
