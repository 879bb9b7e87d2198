"""Expand recurring availability (e.g. weekday night shifts for 8 weeks) into windows.

Pure. Times are wall-clock in the factory's time zone; a shift whose end time is not after
its start time runs past midnight. Results are aware UTC datetimes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from market import errors

MAX_WEEKS = 26


@dataclass(frozen=True)
class Recurrence:
    first_date: date
    weeks: int
    weekdays: tuple[int, ...]  # 0 = Monday
    start_time: time
    end_time: time

    def __post_init__(self):
        if not 1 <= self.weeks <= MAX_WEEKS:
            raise errors.Invalid(f"weeks must be between 1 and {MAX_WEEKS}, got {self.weeks}", field="weeks")
        if not self.weekdays or any(d not in range(7) for d in self.weekdays):
            raise errors.Invalid("weekdays must be a non-empty list of 0 (Monday) .. 6 (Sunday)", field="weekdays")
        if self.start_time == self.end_time:
            raise errors.Invalid("end_time must differ from start_time", field="end_time")


def local_to_utc(moment: datetime, tz_name: str) -> datetime:
    """Naive wall-clock time in the factory's zone (or an aware time) -> aware UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz_name))
    return moment.astimezone(timezone.utc)


def expand(rule: Recurrence, tz_name: str) -> list[tuple[datetime, datetime]]:
    tz = ZoneInfo(tz_name)
    overnight = rule.end_time <= rule.start_time
    out = []
    for offset in range(rule.weeks * 7):
        day = rule.first_date + timedelta(days=offset)
        if day.weekday() not in rule.weekdays:
            continue
        start = datetime.combine(day, rule.start_time, tz)
        end = datetime.combine(day + timedelta(days=1) if overnight else day, rule.end_time, tz)
        out.append((start.astimezone(timezone.utc), end.astimezone(timezone.utc)))
    return out
