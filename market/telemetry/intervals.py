"""From readings to state intervals and one machine-day's figures. Pure.

A state holds from its reading until the next state reading, but only while the device
keeps talking: after `offline_after` without any reading the machine counts as offline
(reason 'no_data') until the next reading. Part counters are cumulative on the device;
production is the increase between consecutive counter readings, and a decrease means the
counter was reset (the new value is what was made since the reset).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from market.telemetry import spans as sp

NO_DATA = "no_data"


class Point(NamedTuple):
    ts: datetime
    state: str | None
    reason: str | None
    total: int | None
    good: int | None


@dataclass(frozen=True)
class Carry:
    """What the readings before a day tell about its start."""

    state: str | None = None
    reason: str | None = None
    seen: datetime | None = None  # last reading of any kind
    total: int | None = None  # last counters
    good: int | None = None


@dataclass
class DayFigures:
    intervals: list[tuple[datetime, datetime, str, str]]
    seconds: dict[str, int]
    planned_s: int
    run_s: int
    run_total_s: int
    total: int
    good: int
    planned: list = field(default_factory=list)


def state_intervals(points: list[Point], carry: Carry, lo: datetime, hi: datetime,
                    offline_after: timedelta) -> list[tuple[datetime, datetime, str, str]]:
    """States over [lo, hi) from `points` (sorted, inside [lo, hi)) and the carry-over."""
    out: list[tuple[datetime, datetime, str, str]] = []

    def emit(a, b, state, reason):
        if b <= a:
            return
        if out and out[-1][1] == a and out[-1][2] == state and out[-1][3] == reason:
            out[-1] = (out[-1][0], b, state, reason)
        else:
            out.append((a, b, state, reason))

    state, reason, seen, t = carry.state, carry.reason or "", carry.seen, lo

    def advance(to):
        if to <= t:
            return
        if state is None or seen is None:
            emit(t, to, "offline", NO_DATA)
        elif state == "offline":
            emit(t, to, state, reason)
        else:
            stale = seen + offline_after
            if stale >= to:
                emit(t, to, state, reason)
            elif stale <= t:
                emit(t, to, "offline", NO_DATA)
            else:
                emit(t, stale, state, reason)
                emit(stale, to, "offline", NO_DATA)

    for p in points:
        ts = p.ts
        if ts >= hi:
            break
        # A reading that changes nothing and follows the last within `offline_after` only
        # extends the current interval: advancing over several at once emits what advancing
        # over each would (the emitted pieces merge), so skip it; most readings are these.
        if (p.state is None or (p.state == state and (p.reason or "") == reason)) and seen is not None \
                and ts - seen <= offline_after:
            seen = ts
            continue
        advance(ts)
        t, seen = max(t, ts), ts
        if p.state is not None:
            state, reason = p.state, p.reason or ""
    advance(hi)
    return out


def counter_increments(points: list[Point], carry: Carry) -> list[tuple[datetime, int, int]]:
    """[(ts, parts made, good parts made)] at each counter reading after the first known one."""
    out = []
    prev_total, prev_good = carry.total, carry.good
    for p in points:
        if p.total is None:
            continue
        if prev_total is not None:
            if p.total < prev_total or p.good < prev_good:  # reset: count from zero
                out.append((p.ts, p.total, p.good))
            else:
                out.append((p.ts, p.total - prev_total, p.good - prev_good))
        prev_total, prev_good = p.total, p.good
    return out


def machine_day(points: list[Point], carry: Carry, lo: datetime, hi: datetime, *, now: datetime,
                planned: list, offline_after: timedelta) -> DayFigures:
    """One machine over [lo, hi) (a local day), observed up to `now`. `planned` are the
    spans of planned production (shifts and booked capacity) before planned stops.

    States hold over [lo, hi), but a counter reading reports the parts made up to its moment,
    so parts count on (lo, hi], as they count in a busy span (a, b]: a reading at the next
    midnight (`points` may end with it) reports this day's work, one at `lo` the day before's.
    Otherwise a night shift's part reported at midnight would count on neither day."""
    end = min(hi, now)
    intervals = state_intervals(points, carry, lo, end, offline_after) if end > lo else []
    seconds: dict[str, int] = {}
    for a, b, state, _ in intervals:
        seconds[state] = seconds.get(state, 0) + int((b - a).total_seconds())
    stops = sp.normalise((a, b) for a, b, state, _ in intervals if state == "planned_stop")
    busy = sp.subtract(sp.normalise((max(a, lo), min(b, end)) for a, b in planned), stops)
    running = sp.normalise((a, b) for a, b, state, _ in intervals if state == "running")
    total = good = 0
    j, n = 0, len(busy)
    for ts, d_total, d_good in counter_increments(points, carry):  # in time order, as busy is
        if not lo < ts <= hi:
            continue
        while j < n and busy[j][1] < ts:  # sp.contains_end(busy, ts), walking both in order
            j += 1
        if j < n and busy[j][0] < ts:
            total, good = total + d_total, good + d_good
    return DayFigures(intervals, seconds, sp.seconds(busy), sp.seconds(sp.intersect(running, busy)),
                      sp.seconds(running), total, good, busy)
