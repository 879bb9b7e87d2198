"""Edge simulator: plays a machine's day as a plant would see it. Shifts from the factory's
calendar, a setup at each shift start, micro-stops, breakdowns with repair times, a planned
break, rejects, counters that sometimes reset; off-shift the machine is offline. It sends
state changes plus periodic counter readings (not one reading per second). Pure and
deterministic for a seed: `readings(...)` yields ReadingIn in time order."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterator
from zoneinfo import ZoneInfo

from market.telemetry import calendar as cal
from market.telemetry import spans as sp
from market.telemetry.readings import ReadingIn

BREAKDOWNS = ("spindle_fault", "tool_breakage", "hydraulic_leak", "electrical_fault", "coolant_pump", "axis_alarm")
WAITS = ("micro_stop", "micro_stop", "micro_stop", "waiting_material", "no_operator")


@dataclass(frozen=True)
class Behaviour:
    ideal_cycle_s: float = 60.0
    speed_loss: float = 0.08  # actual cycles run this much slower than ideal
    reject_rate: float = 0.02
    setup_min: tuple[int, int] = (15, 45)
    stops_per_hour: float = 1.2  # micro-stops and short waits
    stop_s: tuple[int, int] = (60, 420)
    mtbf_h: float = 50.0  # running hours between breakdowns
    repair_h: tuple[float, float] = (0.5, 5.0)
    break_at: str = "12:00"  # a 30-minute planned stop, local time
    counter_every_s: int = 600
    heartbeat_s: int = 900
    reset_chance: float = 0.15  # the counter is reset at a shift start


def readings(weekly: dict, tz: str, start: datetime, end: datetime, behaviour: Behaviour = Behaviour(),
             seed: int = 0) -> Iterator[ReadingIn]:
    """The machine's readings over [start, end), strictly increasing in time."""
    pending = None
    for r in _play(weekly, tz, start, end, behaviour, seed):
        if pending is not None and r.ts <= pending.ts:  # same instant: the later news wins
            pending = ReadingIn(pending.ts, r.state or pending.state, r.reason if r.state else pending.reason,
                                r.total, r.good)
            continue
        if pending is not None:
            yield pending
        pending = r
    if pending is not None:
        yield pending


def _play(weekly, tz, start, end, behaviour, seed):
    rng = random.Random(seed)
    b = behaviour
    day, last = cal.local_day(start, tz), cal.local_day(end, tz)
    shifts = []
    while day <= last:
        shifts += cal.shift_spans(weekly, tz, day)
        day += timedelta(days=1)
    total = good = 0
    carry = 0.0  # fraction of a part in progress
    next_failure = rng.expovariate(1 / (b.mtbf_h * 3600))
    for a, z in sp.normalise(shifts):
        a, z = max(a, start), min(z, end)
        if z <= a:
            continue
        if rng.random() < b.reset_chance:
            total = good = 0
        brk = _break_in(a, z, tz, b.break_at)
        t = a
        setup = rng.uniform(*b.setup_min) * 60
        yield ReadingIn(t, "setup", "changeover", total, good)
        for hb in _heartbeats(t, min(t + timedelta(seconds=setup), z), b):
            yield ReadingIn(hb, None, None, total, good)
        t += timedelta(seconds=setup)
        while t < z:
            yield ReadingIn(t, "running", None, total, good)
            next_stop = rng.expovariate(b.stops_per_hour / 3600)
            run = max(min(next_stop, next_failure), 1.0)
            seg_end = min(t + timedelta(seconds=run), z)
            if brk and t < brk < seg_end:
                seg_end = brk
            # produce parts, reporting counters periodically
            while True:
                step_end = min(t + timedelta(seconds=b.counter_every_s), seg_end)
                secs = (step_end - t).total_seconds()
                carry += secs / (b.ideal_cycle_s * (1 + b.speed_loss * rng.uniform(0.5, 1.5)))
                made, carry = int(carry), carry - int(carry)
                bad = sum(rng.random() < b.reject_rate for _ in range(min(made, 500))) if made else 0
                total, good = total + made, good + made - bad
                next_failure -= secs
                t = step_end
                if t >= seg_end:
                    break
                yield ReadingIn(t, None, None, total, good)
            if t >= z:
                break
            if brk and t == brk:
                yield ReadingIn(t, "planned_stop", "break", total, good)
                t = min(t + timedelta(minutes=30), z)
                for hb in _heartbeats(brk, t, b):
                    yield ReadingIn(hb, None, None, total, good)
                continue
            if next_failure <= 0:
                yield ReadingIn(t, "down", rng.choice(BREAKDOWNS), total, good)
                until = t + timedelta(hours=rng.uniform(*b.repair_h))
                for hb in _heartbeats(t, min(until, z), b):
                    yield ReadingIn(hb, None, None, total, good)
                t = until
                next_failure = rng.expovariate(1 / (b.mtbf_h * 3600))
                if t >= z:
                    break
                continue
            stop = rng.uniform(*b.stop_s)
            yield ReadingIn(t, "idle", rng.choice(WAITS), total, good)
            t += timedelta(seconds=stop)
        if t < end:
            yield ReadingIn(max(t, z), "offline", "off_shift", total, good)


def _heartbeats(a: datetime, z: datetime, b: Behaviour) -> list[datetime]:
    out, t = [], a + timedelta(seconds=b.heartbeat_s)
    while t < z:
        out.append(t)
        t += timedelta(seconds=b.heartbeat_s)
    return out


def _break_in(a: datetime, z: datetime, tz: str, hhmm: str) -> datetime | None:
    h, m = map(int, hhmm.split(":"))
    local = a.astimezone(ZoneInfo(tz))
    moment = local.replace(hour=h, minute=m, second=0, microsecond=0).astimezone(a.tzinfo)
    return moment if a < moment < z else None
