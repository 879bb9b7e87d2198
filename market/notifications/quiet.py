"""Quiet hours: when a message for the e-mail channel may leave. Pure (no database, no clock:
the caller passes `now`)."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(text: str | None) -> time | None:
    """'22:30' -> time(22, 30); '' or None -> None; anything else raises ValueError."""
    if not text:
        return None
    match = HHMM.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a time of day as HH:MM (00:00 to 23:59)")
    return time(int(match[1]), int(match[2]))


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as Asia/Shanghai") from exc


def release_at(now: datetime, start: str | None, end: str | None, time_zone: str) -> datetime:
    """`now` when it lies outside the quiet hours [start, end) in `time_zone`, else the end
    of those quiet hours (UTC). A window may wrap midnight (22:00-07:00); start == end or a
    missing bound means no quiet hours."""
    begin, finish = parse_hhmm(start), parse_hhmm(end)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if begin is None or finish is None or begin == finish:
        return now
    tz = zone(time_zone)
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    if begin < finish:
        quiet, day = begin <= t < finish, local.date()
    else:  # wraps midnight: quiet from `begin` to the end of the day and from midnight to `finish`
        quiet = t >= begin or t < finish
        day = local.date() + timedelta(days=1) if t >= begin else local.date()
    if not quiet:
        return now
    return datetime.combine(day, finish, tzinfo=tz).astimezone(timezone.utc)
