"""China's public holidays and 调休 make-up workdays, from the maintained `chinesecalendar`
package (the State Council's yearly notice, 2004 up to the last year it has published). Pure.

A year the package does not know yet (the notice comes out each November) reads as an
ordinary week: `covers(day)` says so, and the factory can add the closures itself."""
from __future__ import annotations

from datetime import date

import chinese_calendar

# Mainland China's zones: a factory in one of them follows the national holidays by default.
CN_ZONES = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "Asia/Urumqi",
                      "Asia/Kashgar", "PRC"})
FIRST_YEAR = min(chinese_calendar.holidays).year
LAST_YEAR = max(chinese_calendar.holidays).year


def covers(day: date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


def public_holiday(day: date) -> bool:
    """A day off by the national notice (a statutory holiday or a day moved into it)."""
    return day in chinese_calendar.holidays


def makeup_workday(day: date) -> bool:
    """A weekend day worked instead of a holiday weekday (调休)."""
    return day in chinese_calendar.workdays


def name(day: date) -> str | None:
    """The holiday a day belongs to ("National Day"), or None."""
    found = chinese_calendar.holidays.get(day) or chinese_calendar.workdays.get(day)
    return found.split(",")[0] if found else None
